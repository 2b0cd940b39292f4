"""The local platform: tune, watch and try a model on this machine.

A folder under `$TUNING_AGENT_HOME/buckets/` plays the bucket (`storage`),
training runs in a detached subprocess (`train`, driven by `jobs`), and
"deploy" loads the result in-process to answer prompts (`serve`). Every module
imports torch/transformers lazily so that importing this package stays cheap.
"""
