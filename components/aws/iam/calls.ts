// The AWS calls each of the farm's principals makes, as data (pure; no Pulumi, no evaluator): the
// IAM action, the resource ARN in AWS's format, the request context the real request carries, and
// where the call comes from (a generated script's cmdlet, or the AWS page that says an agent makes
// it). The permission proof (test/aws/iam/permissions.test.ts) evaluates every call against the policies
// of the recorded graph; scripts' calls are declared beside their generators (windows/*.calls.ts).

import { parameterArn } from "./policies";

/** Who makes the call: an instance role, a service role, or the deployer's own credentials. */
export type Principal =
  | "web-node"
  | "state-server"
  | "session-setup"
  | "codedeploy"
  | "image-build"
  | "deployer"
  | "image-rollout"
  | "image-rollout-trigger";

export type Context = Record<string, string | string[]>;

export interface AwsCall {
  principal: Principal;
  action: string;
  resource: string;
  context: Context;
  /** The generated script's file and cmdlet, or the AWS page that documents the call. */
  source: string;
  /** A generated script's AWS Tools for PowerShell cmdlet (the anti-drift test matches these). */
  cmdlet?: string;
}

export interface Where {
  partition: string;
  region: string;
  accountId: string;
}

/** An instance as its role's calls see it: its id and its tags (conditions test them). */
export interface Caller extends Where {
  instanceId: string;
  tags: Record<string, string>;
}

/**
 * AWS managed KMS keys have account-specific ids; the proof names them by these placeholders and
 * evaluates their documented default key policy (KMS developer guide, "AWS managed keys").
 */
export const AWS_MANAGED_KEYS = {
  "aws/ssm": "00000000-0000-4000-8000-00000000055a",
  "aws/secretsmanager": "00000000-0000-4000-8000-0000000005ec",
} as const;

export const instanceArn = (c: Caller) => `arn:${c.partition}:ec2:${c.region}:${c.accountId}:instance/${c.instanceId}`;

export const managedKeyArn = (w: Where, alias: keyof typeof AWS_MANAGED_KEYS) =>
  `arn:${w.partition}:kms:${w.region}:${w.accountId}:key/${AWS_MANAGED_KEYS[alias]}`;

/** What every request from an instance role carries: TLS, and the instance it comes from. */
export function instanceContext(c: Caller): Context {
  return { "aws:SecureTransport": "true", "ec2:SourceInstanceARN": instanceArn(c) };
}

/** The context of a call on a resource with tags (service-prefixed and global keys alike). */
export function resourceTags(service: string, tags: Record<string, string>): Context {
  const out: Context = {};
  for (const [k, v] of Object.entries(tags)) {
    out[`aws:ResourceTag/${k}`] = v;
    out[`${service}:ResourceTag/${k}`] = v;
  }
  return out;
}

/**
 * The kms:Decrypt a service makes with the caller's credentials on its AWS managed key, with the
 * encryption context it sends (the keys it always sends, and the values the kit's policies match).
 */
function decryptVia(
  principal: Principal,
  c: Caller,
  service: "ssm" | "secretsmanager",
  encryptionContext: Record<string, string>,
  source: string,
  contextKeys = Object.keys(encryptionContext),
): AwsCall {
  return {
    principal,
    action: "kms:Decrypt",
    resource: managedKeyArn(c, `aws/${service}`),
    context: {
      ...instanceContext(c),
      "kms:ViaService": `${service}.${c.region}.amazonaws.com`,
      "kms:CallerAccount": c.accountId,
      "kms:EncryptionContextKeys": contextKeys,
      ...Object.fromEntries(Object.entries(encryptionContext).map(([k, v]) => [`kms:EncryptionContext:${k}`, v])),
    },
    source,
  };
}

/**
 * A SecureString read with -WithDecryption: ssm:GetParameter, then Systems Manager calls
 * kms:Decrypt with the caller's credentials on the aws/ssm key, with the parameter's ARN as
 * encryption context (Systems Manager, "How AWS Systems Manager Parameter Store uses AWS KMS").
 * No aws:CalledVia: IAM adds it only for the services its page lists (Athena, CloudFormation,
 * DynamoDB, KMS), not Systems Manager or Secrets Manager (IAM user guide, "AWS global condition context
 * keys": aws:CalledVia, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html);
 * kms:ViaService is what names the service here.
 */
export function secureParameterRead(
  principal: Principal,
  c: Caller,
  parameterName: string,
  source: string,
  cmdlet?: string,
): AwsCall[] {
  const arn = parameterArn(c, parameterName);
  return [
    { principal, action: "ssm:GetParameter", resource: arn, context: instanceContext(c), source, cmdlet },
    decryptVia(principal, c, "ssm", { PARAMETER_ARN: arn }, `${source} (decryption through Systems Manager)`),
  ];
}

/**
 * GetSecretValue, then Secrets Manager's kms:Decrypt with the caller's credentials on the
 * aws/secretsmanager key (Secrets Manager, "Secret encryption and decryption in AWS Secrets Manager").
 */
export function secretRead(principal: Principal, c: Caller, secretArn: string, source: string, cmdlet?: string) {
  return [
    {
      principal,
      action: "secretsmanager:GetSecretValue",
      resource: secretArn,
      context: instanceContext(c),
      source,
      cmdlet,
    },
    decryptVia(
      principal,
      c,
      "secretsmanager",
      { SecretARN: secretArn },
      `${source} (decryption through Secrets Manager)`,
      ["SecretARN", "SecretVersionId"],
    ),
  ] satisfies AwsCall[];
}

/** Read-S3Object: GetObject, or GetObjectVersion when a version is given. */
export function objectRead(
  principal: Principal,
  c: Caller,
  o: { bucket: string; key: string; versioned: boolean },
  source: string,
  cmdlet?: string,
): AwsCall {
  return {
    principal,
    action: o.versioned ? "s3:GetObjectVersion" : "s3:GetObject",
    resource: `arn:${c.partition}:s3:::${o.bucket}/${o.key}`,
    context: instanceContext(c),
    source,
    cmdlet,
  };
}
