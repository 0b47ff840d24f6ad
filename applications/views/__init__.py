"""Web views for applicants (the browser portal). Thin: parse, call one service or selector,
render. Every lookup starts from the caller's applicant organisation, so another applicant's
project or request is a 404."""
