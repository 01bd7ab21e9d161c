"""The statements of IAM-style policy documents (policies/webapp_policies/documents.py), which the
IAM, KMS, S3 and VPC egress policies review. (Not a tests/test_policies_<service>.py table.)"""

from __future__ import annotations

from policies.webapp_policies.documents import statements

ADMIN = {"Effect": "Allow", "Action": "*", "Resource": "*"}


def test_a_single_statement_object_is_reviewed_as_one_statement():
    # The IAM policy grammar allows "Statement" to be one statement object instead of a list.
    assert statements({"Version": "2012-10-17", "Statement": ADMIN}) == [ADMIN]
