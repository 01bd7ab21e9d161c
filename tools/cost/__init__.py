"""Monthly cost estimate of a stack, from its offline synth: `python -m tools.cost`.

- `catalog`: price keys -> the AWS Price List meters they stand for.
- `prices`: the price snapshot (`prices.json`) and its refresh from the Price List API.
- `estimate` and `pricers`: one line per billed meter of each resource, fixed or usage.
- `usage`: the usage profile (settings, stack config, `--usage` file).
- `report`: the text tables, the change against a base and the budget verdict.
- `cli`: the command.
"""
