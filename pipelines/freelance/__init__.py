"""Freelance-service pricing: a Fiverr gig's price (regression) and price band (Low / Medium / High)."""
