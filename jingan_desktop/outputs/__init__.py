"""What the office hands out: the PDF quarterly report, charts and the Excel exchange."""
