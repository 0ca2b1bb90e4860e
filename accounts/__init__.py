"""People: the user model with a display name, sign-up and account pages."""
