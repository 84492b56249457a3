// The AWS calls the release hooks (release.ts) make, for the permission proof.
import { AwsCall, Caller, objectRead, secretRead, secureParameterRead } from "../../aws/iam/calls";

const SOURCE = "components/releases/windows/hooks.ts";

/** The install hook: the site at its version, every secret setting from SSM or Secrets Manager. */
export function releaseHookCalls(
  c: Caller,
  p: { site: { bucket: string; key: string; versioned: boolean }; ssmParameters: string[]; secretArns: string[] },
): AwsCall[] {
  return [
    objectRead("web-node", c, p.site, `${SOURCE}: installHook`, "Read-S3Object"),
    ...p.ssmParameters.flatMap((n) =>
      secureParameterRead("web-node", c, n, `${SOURCE}: installHook (secret setting)`, "Get-SSMParameter"),
    ),
    ...p.secretArns.flatMap((arn) =>
      secretRead("web-node", c, arn, `${SOURCE}: installHook (secret setting)`, "Get-SECSecretValue"),
    ),
  ];
}
