"""Reference data held per process: the area tree, the catalogue, labels; and seeding it."""
