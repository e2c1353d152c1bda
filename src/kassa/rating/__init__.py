"""Rating: tariffs, their rates by destination prefix, products, and what units cost."""
