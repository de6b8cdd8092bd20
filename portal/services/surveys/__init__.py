"""The yearly needs survey (入户调研): forms, imports, exports."""
