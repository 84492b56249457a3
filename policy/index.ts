// The aspnet-webfarm policy pack: `pulumi preview --policy-pack policy` (after `npm ci` at the
// repository root, whose node_modules this pack uses).
import { PolicyPack } from "@pulumi/policy";
import { POLICIES } from "./policies";

new PolicyPack("aspnet-webfarm", {
  description:
    "Invariants of the load-balanced ASP.NET web farm: state port from security groups only, private nodes, IMDSv2, encrypted volumes, no machine key in user data.",
  policies: POLICIES,
});
