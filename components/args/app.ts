// The application's arguments (WebFarmArgs.app): rules, defaults and documentation in one place.
import { z } from "zod";
import * as rules from "./rules";
import { MAX_NODES } from "./constants";
import { doc, input, named } from "./problems";
import { settingName, settingValue } from "../releases/windows/hooks";

const secretReference = named(
  z
    .strictObject({
      ssmParameter: doc(
        rules.ssmParameterReference.optional(),
        "An SSM parameter name (a SecureString), e.g. /shop/prod/payment-key.",
      ),
      secretsManagerSecret: doc(rules.secretsManagerSecret.optional(), "A Secrets Manager secret name or ARN."),
    })
    .refine((r) => (r.ssmParameter === undefined) !== (r.secretsManagerSecret === undefined), {
      error: "must name exactly one of ssmParameter and secretsManagerSecret",
    }),
  "SecretReference",
  "Where a secret setting comes from: exactly one of the two.",
);

const settingsMap = z.record(settingName, settingValue, { error: "must be a map of names to text" });
const secretsMap = z.record(settingName, secretReference, { error: "must be a map of names to secret references" });

/** The application's rules and defaults (cross-field rules in crossField.ts). */
export const appSchema = named(
  z.strictObject({
    path: doc(
      z
        .string({ error: "must be a folder or .zip path" })
        .min(1, { error: "must be a folder or .zip path" })
        .optional(),
      'A published site on this machine: a folder (or .zip) holding web.config and/or bin/, as "Publish to folder" or msbuild /p:DeployOnBuild=true writes it. The kit uploads it.',
      "none: give bucket and key instead",
    ),
    bucket: doc(
      input(rules.s3Bucket).optional(),
      "The S3 bucket of a build your CI uploaded (a .zip of the published site), with key.",
      "none: give path instead",
    ),
    key: doc(input(rules.s3Key).optional(), "The S3 key of that build."),
    versionId: doc(
      input(rules.s3VersionId).optional(),
      "The S3 version of that build (a versioned bucket).",
      "the object's current version, read by each node at install time",
    ),
    uploadBucket: doc(
      input(rules.s3Bucket).optional(),
      "With path: a bucket of yours to upload the site and the release bundle into.",
      "a private, encrypted, versioned bucket the farm creates",
    ),
    version: doc(
      rules.token.optional(),
      "The release's label, shown by CodeDeploy, `npm run plan:diff` and the appSettings key webfarm:release.",
      '"sha-" and 12 characters of the build\'s content hash (path), or of bucket, key and versionId',
    ),
    validatePath: doc(
      rules.appPath.optional(),
      "An application URL that must answer 200 (or a status in validateStatuses) through IIS on each node before it takes traffic, after the health page.",
      "none: the health page alone, which runs in the release's own application, so a release passes when the application starts",
    ),
    // Config gives lists as strings: each status is read as a number.
    validateStatuses: doc(
      z
        .array(z.coerce.number({ error: "must be an HTTP status" }).pipe(rules.wholeNumber(100, 599)), {
          error: "must be a list of HTTP statuses",
        })
        .max(10, { error: "at most 10 statuses" })
        .default([]),
      "Statuses besides 200 that validatePath may answer (e.g. 302 for a page that redirects to a login); redirects are not followed.",
    ),
    nodesAtOnce: doc(
      rules.wholeNumber(1, MAX_NODES).default(1),
      "How many nodes a release takes out of the load balancer at once (fewer than nodes.count).",
    ),
    settings: doc(
      settingsMap.default({}),
      "appSettings written into the release's web.config, the same on every node.",
    ),
    connectionStrings: doc(
      settingsMap.default({}),
      "connectionStrings written into the release's web.config, the same on every node.",
    ),
    secretSettings: doc(
      secretsMap.default({}),
      "appSettings read on each node at install time from SSM (SecureString) or Secrets Manager; never in Pulumi's state.",
    ),
    secretConnectionStrings: doc(
      secretsMap.default({}),
      "connectionStrings read on each node at install time from SSM (SecureString) or Secrets Manager.",
    ),
  }),
  "AppArgs",
  "The application: a published site from this machine (`path`) or from S3 (`bucket` and `key`), with its settings. A new build is a new release: CodeDeploy takes the nodes out of the load balancer a few at a time, installs, validates and puts them back, and rolls back on failure.",
);
