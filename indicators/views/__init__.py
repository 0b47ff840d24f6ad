"""Web pages of the indicators: the staff dashboard, operator scorecards, their downloads and
the public transparency page. Thin: parse, call the selectors, render."""
