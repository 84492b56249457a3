// The farm's one <machineKey>: random bytes, kept secret in Pulumi state and stored as an SSM
// SecureString that the web nodes read at boot. It never appears in user data.
import * as ssm from "@pulumi/aws/ssm";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { nameTags, Tags } from "../aws/tags";
import { DECRYPTION_KEY_BYTES, ValidationAlgorithm, validationKeyBytes } from "../windows/values";

export interface MachineKeyArgs {
  /** Changing it makes new keys (and so replaces the nodes); leaving it alone never does. */
  version: string;
  validation: ValidationAlgorithm;
  parameterName: string;
  tags: Tags;
}

/** What the parameter holds; the web node's boot script parses exactly these fields. */
export interface MachineKeyDocument {
  version: string;
  validation: ValidationAlgorithm;
  decryption: "AES";
  validationKey: string;
  decryptionKey: string;
}

export class MachineKey extends pulumi.ComponentResource {
  public readonly validationKey: pulumi.Output<string>;
  public readonly decryptionKey: pulumi.Output<string>;
  public readonly validation: ValidationAlgorithm;
  public readonly version: string;
  public readonly parameterName: pulumi.Output<string>;
  public readonly parameterArn: pulumi.Output<string>;

  constructor(name: string, args: MachineKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aspnet-webfarm:index:MachineKey", name, {}, opts);
    // Keepers: the bytes are regenerated only when the version or the algorithm changes.
    const keepers = { version: args.version, validation: args.validation };
    const validationBytes = new random.RandomBytes(
      `${name}-validation`,
      {
        length: validationKeyBytes(args.validation),
        keepers,
      },
      { parent: this, additionalSecretOutputs: ["hex", "base64"] },
    );
    const decryptionBytes = new random.RandomBytes(
      `${name}-decryption`,
      {
        length: DECRYPTION_KEY_BYTES,
        keepers,
      },
      { parent: this, additionalSecretOutputs: ["hex", "base64"] },
    );

    this.validation = args.validation;
    this.version = args.version;
    this.validationKey = pulumi.secret(validationBytes.hex.apply((h) => h.toUpperCase()));
    this.decryptionKey = pulumi.secret(decryptionBytes.hex.apply((h) => h.toUpperCase()));

    const document = pulumi.all([this.validationKey, this.decryptionKey]).apply(([validationKey, decryptionKey]) =>
      JSON.stringify({
        version: args.version,
        validation: args.validation,
        decryption: "AES",
        validationKey,
        decryptionKey,
      } satisfies MachineKeyDocument),
    );

    const parameter = new ssm.Parameter(
      `${name}-parameter`,
      {
        name: args.parameterName,
        type: "SecureString",
        description: "aspnet-webfarm machineKey (read by the web nodes at boot)",
        value: pulumi.secret(document),
        tags: nameTags(args.tags, `${name}-parameter`),
      },
      { parent: this, additionalSecretOutputs: ["value", "insecureValue"] },
    );

    this.parameterName = parameter.name;
    this.parameterArn = parameter.arn;
    this.registerOutputs({ parameterName: this.parameterName, parameterArn: this.parameterArn });
  }
}
