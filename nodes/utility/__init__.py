"""Small text and data helpers that glue encoders, models and stores together."""
