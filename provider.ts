// The component provider: what `pulumi package add` talks to. Pulumi's ComponentProvider infers
// the schema from the components' types and constructs them; this adds what inference leaves
// out: the outputs that hold the machine key are marked secret, so every language's SDK keeps
// them secret (their values are secret at run time too), and each input carries its default.
import { ConstructResult, Provider } from "@pulumi/pulumi/provider";
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "fs";
import { join } from "path";
import { appSchema, argsSchema, sqlServerSchema } from "./components/args/args";
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

/** Which schema object takes which defaults; waitForDeployments's differs by language, so none. */
const DEFAULTS: [(s: Schema) => Record<string, PropertySpec> | undefined, Record<string, unknown>][] = [
  (() => {
    const { waitForDeployments: _w, ...d } = primitiveDefaults(argsSchema.shape);
    return [(s: Schema) => s.resources[`${PACKAGE_NAME}:index:WebFarm`]?.inputProperties, d];
  })(),
  [(s) => s.types[`${PACKAGE_NAME}:index:AppArgs`]?.properties, primitiveDefaults(appSchema.shape)],
  [(s) => s.types[`${PACKAGE_NAME}:index:SqlServerArgs`]?.properties, primitiveDefaults(sqlServerSchema.shape)],
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
