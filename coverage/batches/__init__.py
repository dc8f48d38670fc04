"""CSV batches: csv_file reads and checks a file row by row (pure); intake stores every valid
row as a job in one transaction, reports the bad ones, and follows the batch's progress."""
