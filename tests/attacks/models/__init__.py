"""Forged models for tests/test_model_rebuild.py: each file is appended to a reference module
(ex6's square_border.py or ex7's flatten_head.py, by its name's prefix) and replaces its model.
Before the judge rebuilt models, each of them earned points it should not have."""
