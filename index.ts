// The component package's entry point (PulumiPlugin.yaml): the components every Pulumi language
// can use. Pulumi infers the package schema from these classes' TypeScript types; provider.ts
// serves them. (npm users import the same classes from the built package, dist/.)
export { WebFarm } from "./components/farm/webFarm";
export { FarmImage } from "./components/image/farmImage";
