"""The lab's commands: lab_submit, lab_sweep, fetch_weights, fetch_data."""
