"""Stage commands of the cars pipeline (pipelines/cars is the library)."""
