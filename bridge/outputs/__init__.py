"""What a user takes away: the JSON and text report, the HTML report, exported scripts and models, and safe file writing."""
