// The kit's private S3 buckets (the load balancer's access logs, the application's releases):
// no public access, encrypted with S3-managed keys, and a policy that refuses plain HTTP.
import * as s3 from "@pulumi/aws/s3";
import * as pulumi from "@pulumi/pulumi";
import { tlsOnlyStatement } from "./iam/policies";
import { nameTags, Tags } from "./tags";

export interface PrivateBucketOptions {
  /** An S3 Bucket Key for SSE-S3 (fewer requests to S3's key service). ALB access logs take plain SSE-S3 only. */
  bucketKey: boolean;
  /** Object ownership BucketOwnerEnforced (ACLs off). */
  ownerEnforced: boolean;
}

/** A bucket named `name` (its public access block, ownership and encryption under the same name). */
export function privateBucket(
  name: string,
  tags: Tags,
  parent: pulumi.Resource,
  options: PrivateBucketOptions,
): s3.Bucket {
  const opts = { parent };
  const bucket = new s3.Bucket(name, { forceDestroy: false, tags: nameTags(tags, name) }, opts);
  new s3.BucketPublicAccessBlock(
    name,
    {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    opts,
  );
  if (options.ownerEnforced)
    new s3.BucketOwnershipControls(name, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, opts);
  new s3.BucketServerSideEncryptionConfiguration(
    name,
    {
      bucket: bucket.id,
      rules: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" },
          ...(options.bucketKey ? { bucketKeyEnabled: true } : {}),
        },
      ],
    },
    opts,
  );
  return bucket;
}

/** The bucket's policy: the statements given (none by default), then TLS only. */
export function tlsOnlyBucketPolicy(
  name: string,
  bucket: s3.Bucket,
  parent: pulumi.Resource,
  statements: pulumi.Input<object[]> = [],
): s3.BucketPolicy {
  return new s3.BucketPolicy(
    name,
    {
      bucket: bucket.id,
      policy: pulumi
        .all([bucket.arn, statements])
        .apply(([arn, allowed]) =>
          JSON.stringify({ Version: "2012-10-17", Statement: [...allowed, tlsOnlyStatement(arn)] }),
        ),
    },
    { parent },
  );
}
