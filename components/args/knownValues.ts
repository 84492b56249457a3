// Arguments that may be Outputs are checked once their values are known, with the message a
// literal would get, at the argument's grouped place.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import * as rules from "./rules";
import { farmConfigError, holdsInput, Problem, schemaProblems } from "./problems";
import { allowedCidrs, tags } from "./schema";

/** The rules of the Input arguments, for `whenKnown`, by the key WebFarm passes. */
export const KNOWN_VALUE_RULES = {
  allowedCidrs,
  certificateArn: rules.certificateArn,
  alarmTopicArn: rules.snsTopicArn,
  amiId: rules.amiId,
  amiParameter: rules.farmImageParameter,
  stateAmiId: rules.amiId,
  tags,
  "app.bucket": rules.s3Bucket,
  "app.key": rules.s3Key,
  "app.versionId": rules.s3VersionId,
  "app.uploadBucket": rules.s3Bucket,
};
type Field = keyof typeof KNOWN_VALUE_RULES;

/** Where each of those arguments lives in WebFarmArgs (the path its problems name). */
export const KNOWN_VALUE_PLACES: Record<Field, string> = {
  allowedCidrs: "loadBalancer.allowedCidrs",
  certificateArn: "loadBalancer.certificateArn",
  alarmTopicArn: "observability.alarmTopicArn",
  amiId: "image.amiId",
  amiParameter: "image.amiParameter",
  stateAmiId: "image.stateAmiId",
  tags: "tags",
  "app.bucket": "app.bucket",
  "app.key": "app.key",
  "app.versionId": "app.versionId",
  "app.uploadBucket": "app.uploadBucket",
};

/** The problems of a known value of an Input argument, with the paths a literal would get. */
export function knownValueProblems(field: Field, value: unknown): Problem[] {
  const place = KNOWN_VALUE_PLACES[field];
  return schemaProblems(KNOWN_VALUE_RULES[field], value, "WebFarm").map((p) => ({
    ...p,
    propertyPath:
      p.propertyPath === "args" ? place : `${place}${p.propertyPath.startsWith("[") ? "" : "."}${p.propertyPath}`,
  }));
}

/**
 * An Input checked once its value is known: a literal was checked by the schema already; a value
 * holding an Output is checked here and fails the update with the message a literal would get.
 */
export function whenKnown<K extends Field>(
  farm: string,
  field: K,
  value: pulumi.Input<z.output<(typeof KNOWN_VALUE_RULES)[K]>>,
): pulumi.Input<z.output<(typeof KNOWN_VALUE_RULES)[K]>> {
  if (!holdsInput(value)) return value;
  return pulumi.output(value).apply((v) => {
    const problems = knownValueProblems(field, v);
    if (problems.length > 0) throw farmConfigError(`WebFarm "${farm}"`, problems);
    return v as z.output<(typeof KNOWN_VALUE_RULES)[K]>;
  });
}
