"""Used-car pricing: AutoScout24 Germany listings → price after depreciation."""
