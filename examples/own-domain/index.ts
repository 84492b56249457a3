// The farm on the team's own domain: an ACM certificate validated by DNS and a Route 53 alias, made
// in the same program and handed to the farm as Outputs.
import * as acm from "@pulumi/aws/acm";
import * as route53 from "@pulumi/aws/route53";
import * as pulumi from "@pulumi/pulumi";
import { WebFarm } from "aspnet-webfarm";

export = async () => {
  const config = new pulumi.Config();
  const domain = config.require("domain");
  const zone = route53.getZoneOutput({ name: config.require("zone"), privateZone: false });

  const certificate = new acm.Certificate("shop", { domainName: domain, validationMethod: "DNS" });
  const proof = certificate.domainValidationOptions[0];
  const proofRecord = new route53.Record("shop-cert-validation", {
    zoneId: zone.zoneId,
    name: proof.resourceRecordName,
    type: proof.resourceRecordType,
    records: [proof.resourceRecordValue],
    ttl: 60,
  });
  const validated = new acm.CertificateValidation("shop", {
    certificateArn: certificate.arn,
    validationRecordFqdns: [proofRecord.fqdn],
  });

  const farm = new WebFarm("shop", {
    nodes: { count: 2 },
    loadBalancer: { certificateArn: validated.certificateArn },
  });

  new route53.Record("shop", {
    zoneId: zone.zoneId,
    name: domain,
    type: "A",
    aliases: [{ name: farm.loadBalancerDnsName, zoneId: farm.loadBalancerZoneId, evaluateTargetHealth: true }],
  });
  return { url: `https://${domain}/`, loadBalancerArn: farm.loadBalancerArn };
};
