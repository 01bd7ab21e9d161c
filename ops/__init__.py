"""Operations commands with boto3 (`python -m ops <command>`): preflight, status, rollback and
restore-drill, run by on-call engineers against the real account.

They read the stack's outputs (`pulumi stack output --json`, or `--outputs FILE`) and its
config (`Pulumi.<stack>.yaml` through the settings loader). Layout: `cli.py` (arguments, exit
statuses, error display), one module per command, `deployments.py` (ECS service deployments,
shared by status and rollback), `aws.py` (clients, retries, error messages), `outputs.py`,
`progress.py` (progress lines and the polling loop).
"""
