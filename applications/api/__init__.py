"""The operator and data-exchange REST API (DESIGN 7): thin viewsets over services/selectors."""
