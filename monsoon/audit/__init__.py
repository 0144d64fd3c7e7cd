"""`monsoon audit`: where every record of a run went, as an HTML and Markdown report with plots."""
