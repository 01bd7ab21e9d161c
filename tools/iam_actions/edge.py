"""What the provider calls for the edge, where requests reach the stack: the load balancer, its
target groups, listeners and rules (components/load_balancer.py), its certificate and DNS record,
the web ACL (components/firewall.py), and the bucket of the load balancer's access logs."""

from __future__ import annotations

from tools.iam_actions.model import ELB_TAGS, Actions, service_actions

EDGE: dict[str, Actions] = {
    # Load balancing
    "aws:lb/loadBalancer:LoadBalancer": service_actions(
        "elasticloadbalancing",
        f"CreateLoadBalancer ModifyLoadBalancerAttributes iam:CreateServiceLinkedRole {ELB_TAGS}",
        "DescribeLoadBalancers DescribeLoadBalancerAttributes DescribeTags",
        f"ModifyLoadBalancerAttributes SetSecurityGroups SetSubnets SetIpAddressType {ELB_TAGS}",
        "DeleteLoadBalancer",
    ),
    "aws:lb/targetGroup:TargetGroup": service_actions(
        "elasticloadbalancing",
        f"CreateTargetGroup ModifyTargetGroupAttributes {ELB_TAGS}",
        "DescribeTargetGroups DescribeTargetGroupAttributes DescribeTags",
        f"ModifyTargetGroup ModifyTargetGroupAttributes {ELB_TAGS}",
        "DeleteTargetGroup",
    ),
    "aws:lb/listener:Listener": service_actions(
        "elasticloadbalancing",
        f"CreateListener ModifyListenerAttributes {ELB_TAGS}",
        "DescribeListeners DescribeListenerAttributes DescribeListenerCertificates DescribeTags",
        f"ModifyListener ModifyListenerAttributes {ELB_TAGS}",
        "DeleteListener",
    ),
    "aws:lb/listenerRule:ListenerRule": service_actions(
        "elasticloadbalancing",
        f"CreateRule {ELB_TAGS}",
        "DescribeRules DescribeTags",
        f"ModifyRule SetRulePriorities {ELB_TAGS}",
        "DeleteRule",
    ),
    # Certificates and DNS
    "aws:acm/certificate:Certificate": service_actions(
        "acm",
        "RequestCertificate AddTagsToCertificate",
        "DescribeCertificate ListTagsForCertificate",
        "AddTagsToCertificate RemoveTagsFromCertificate",
        "DeleteCertificate",
    ),
    "aws:acm/certificateValidation:CertificateValidation": service_actions(
        "acm",
        "DescribeCertificate",
        "DescribeCertificate",
        "DescribeCertificate",
        "",  # deleting it only forgets the wait
    ),
    "aws:route53/record:Record": service_actions(
        "route53",
        "ChangeResourceRecordSets GetChange GetHostedZone",
        "ListResourceRecordSets GetHostedZone",
        "ChangeResourceRecordSets GetChange",
        "ChangeResourceRecordSets GetChange",
    ),
    # Edge
    "aws:wafv2/webAcl:WebAcl": service_actions(
        "wafv2",
        "CreateWebACL TagResource",
        "GetWebACL ListTagsForResource",
        "UpdateWebACL TagResource UntagResource",
        "DeleteWebACL",
    ),
    "aws:wafv2/webAclAssociation:WebAclAssociation": service_actions(
        "wafv2",
        "AssociateWebACL",
        "GetWebACLForResource",
        "AssociateWebACL",
        "DisassociateWebACL",
    ),
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": service_actions(
        "wafv2",
        "PutLoggingConfiguration",
        "GetLoggingConfiguration",
        "PutLoggingConfiguration",
        "DeleteLoggingConfiguration",
    ),
    # Storage (the load balancer's access logs)
    "aws:s3/bucket:Bucket": service_actions(
        "s3",
        "CreateBucket PutBucketTagging",
        "ListBucket GetBucketLocation GetBucketTagging GetBucketAcl GetBucketCORS GetBucketWebsite "
        "GetBucketVersioning GetAccelerateConfiguration GetBucketRequestPayment GetBucketLogging "
        "GetReplicationConfiguration GetBucketObjectLockConfiguration GetLifecycleConfiguration "
        "GetEncryptionConfiguration GetBucketPolicy",
        "PutBucketTagging",
        "DeleteBucket",
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": service_actions(
        "s3",
        "PutLifecycleConfiguration",
        "GetLifecycleConfiguration",
        "PutLifecycleConfiguration",
        "PutLifecycleConfiguration",
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": service_actions(
        "s3",
        "PutBucketOwnershipControls",
        "GetBucketOwnershipControls",
        "PutBucketOwnershipControls",
        "PutBucketOwnershipControls",
    ),
    "aws:s3/bucketPolicy:BucketPolicy": service_actions(
        "s3",
        "PutBucketPolicy",
        "GetBucketPolicy",
        "PutBucketPolicy",
        "DeleteBucketPolicy",
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": service_actions(
        "s3",
        "PutBucketPublicAccessBlock",
        "GetBucketPublicAccessBlock",
        "PutBucketPublicAccessBlock",
        "PutBucketPublicAccessBlock",
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": service_actions(
        "s3",
        "PutEncryptionConfiguration",
        "GetEncryptionConfiguration",
        "PutEncryptionConfiguration",
        "PutEncryptionConfiguration",
    ),
}
