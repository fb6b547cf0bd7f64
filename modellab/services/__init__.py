"""Every write of the lab, each in a transaction, one job a module; import from the module that does the job.

- ``lifecycle``: the experiment's status lifecycle; the one function that moves a status.
- ``datasets``: built-in dataset rows, uploads, resolving a dataset reference, a dataset's local files.
- ``experiments``: submit (the only place that queues a run) and cancel.
- ``lease``: a worker's hold on one attempt of a run, and every write it makes.
- ``runs``: the worker side: claim, run, the hard time limit.
- ``sweep``: requeue or fail the runs of workers that are gone.
- ``size_sweep``: data-size sweeps (pre-trained and from scratch at several training-set sizes), submit and cancel.
- ``presets``: a lesson's lab presets put to use (the dataset this server has, one-click submit).
- ``measured``: publishing a comparison or sweep as its lesson's measured reference, and its YAML.
- ``predict``: classify an uploaded image in the web process.
- ``retention``: remove the model files the retention settings let go (``lab_prune``, the worker's periodic pass).
- ``engine_errors``: the engine's errors as the project's ValidationError.
"""
