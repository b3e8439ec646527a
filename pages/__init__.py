"""The screens of the Bridge app; app.py navigates between them."""
