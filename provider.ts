// The component provider: what `pulumi package add` talks to. Pulumi's ComponentProvider infers
// the schema from the components' types and constructs them; this adds what inference leaves
// out: the outputs that hold the machine key are marked secret, so every language's SDK keeps
// them secret (their values are secret at run time too), each input carries its default (from the
// one argument schema, components/args/schema.ts), and the 0.1 flat inputs are marked deprecated.
import { ConstructResult, Provider } from "@pulumi/pulumi/provider";
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "fs";
import { join } from "path";
import { argsSchema, FLAT_ARGUMENTS, FlatArgument, newPlaceOf, TYPE_NAMES } from "./components/args/args";
import { FarmImage, farmImageSchema } from "./components/image/farmImage";
import { WebFarm } from "./components/farm/webFarm";

export const PACKAGE_NAME = "aspnet-webfarm";
/** Outputs that hold the machine key (or a connection string with a password): secret in every SDK. */
export const SECRET_OUTPUTS: Record<string, string[]> = {
  WebFarm: ["validationKey", "decryptionKey", "webConfigFragment"],
};

interface PropertySpec {
  secret?: boolean;
  default?: unknown;
  type?: string;
  deprecationMessage?: string;
}
interface Schema {
  resources: Record<
    string,
    { properties?: Record<string, PropertySpec>; inputProperties?: Record<string, PropertySpec> }
  >;
  types: Record<string, { properties?: Record<string, PropertySpec> }>;
}

type Def = { type: string; defaultValue?: unknown; innerType?: unknown };
/** The argument schemas' primitive defaults (a string, number or boolean), by argument. */
function primitiveDefaults(shape: Record<string, unknown>): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(shape)) {
    const def = (schema as { _zod: { def: Def } })._zod.def;
    if (def.type === "default" && ["string", "number", "boolean"].includes(typeof def.defaultValue))
      defaults[key] = def.defaultValue;
  }
  return defaults;
}

/** The object types of WebFarm's groups (NodesArgs, AppArgs, ...), each with its schema, read off the args schema. */
function groupTypes(shape: Record<string, unknown>): [string, Record<string, unknown>][] {
  return Object.values(shape).flatMap((field) => {
    const def = (field as { _zod: { def: Def } })._zod.def;
    const inner = def.type === "optional" ? (def.innerType as { _zod: { def: Def }; shape?: object }) : undefined;
    const named = inner && TYPE_NAMES.get(inner as never);
    return named && inner.shape ? [[named.name, inner.shape as Record<string, unknown>]] : [];
  });
}

/** Which schema object takes which defaults (all from the one argument schema); waitForDeployments's differs by language, so none. */
const DEFAULTS: [(s: Schema) => Record<string, PropertySpec> | undefined, Record<string, unknown>][] = [
  (() => {
    const { waitForDeployments: _w, ...d } = primitiveDefaults(argsSchema.shape);
    return [(s: Schema) => s.resources[`${PACKAGE_NAME}:index:WebFarm`]?.inputProperties, d];
  })(),
  ...groupTypes(argsSchema.shape).map(
    ([name, shape]) =>
      [(s: Schema) => s.types[`${PACKAGE_NAME}:index:${name}`]?.properties, primitiveDefaults(shape)] as [
        (s: Schema) => Record<string, PropertySpec> | undefined,
        Record<string, unknown>,
      ],
  ),
  [(s) => s.resources[`${PACKAGE_NAME}:index:FarmImage`]?.inputProperties, primitiveDefaults(farmImageSchema.shape)],
];

/**
 * The inferred schema, completed: the outputs holding the machine key marked secret, and each
 * input's default (from the one argument schema) where it is a plain value.
 */
export function completeSchema(schemaJson: string): string {
  const schema = JSON.parse(schemaJson) as Schema;
  for (const [component, outputs] of Object.entries(SECRET_OUTPUTS)) {
    const resource = schema.resources[`${PACKAGE_NAME}:index:${component}`];
    if (!resource) throw new Error(`the schema has no ${component}`);
    for (const output of outputs) {
      const property = resource.properties?.[output];
      if (!property) throw new Error(`the schema's ${component} has no output ${output}`);
      property.secret = true;
    }
  }
  for (const [at, defaults] of DEFAULTS) {
    const properties = at(schema);
    if (!properties) throw new Error("the schema lacks an object the kit describes");
    for (const [key, value] of Object.entries(defaults)) if (properties[key]) properties[key].default = value;
  }
  // The 0.1 flat inputs still work (with a warning) until 0.3: every SDK marks them deprecated.
  const inputs = schema.resources[`${PACKAGE_NAME}:index:WebFarm`]?.inputProperties ?? {};
  for (const flat of [...Object.keys(FLAT_ARGUMENTS), "sessionStore"] as FlatArgument[])
    if (inputs[flat]) inputs[flat].deprecationMessage = `The 0.1 spelling: use ${newPlaceOf(flat)} (docs/UPGRADE.md).`;
  return JSON.stringify(schema);
}

export class FarmProvider implements Provider {
  private readonly components: ComponentProvider;
  public readonly version: string;

  constructor(dirname = __dirname) {
    const version = JSON.parse(readFileSync(join(dirname, "package.json"), "utf8")).version as string;
    this.components = new ComponentProvider({
      components: [WebFarm, FarmImage],
      name: PACKAGE_NAME,
      dirname,
      version,
    });
    this.version = version;
  }

  async getSchema(): Promise<string> {
    return completeSchema(await this.components.getSchema());
  }

  async construct(
    name: string,
    type: string,
    inputs: pulumi.Inputs,
    options: pulumi.ComponentResourceOptions,
  ): Promise<ConstructResult> {
    // Through the package, the Node.js dynamic resources are off unless asked for: another
    // language's program has no node_modules for them to load (docs/languages.md).
    const given = type === `${PACKAGE_NAME}:index:WebFarm` ? { waitForDeployments: false, ...inputs } : inputs;
    return this.components.construct(name, type, given, options);
  }
}
