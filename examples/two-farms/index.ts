// Two farms in one stack sharing one network: the network is built once with FarmNetwork, and each
// farm brings it. Every farm has its own balancer, nodes, state server, key and private zone.
import { FarmNetwork, WebFarm } from "aspnet-webfarm";

export = async () => {
  const network = new FarmNetwork("shared", {
    vpcCidr: "10.60.0.0/16",
    azCount: 2,
    natPerAz: false,
    tags: { app: "shared" },
  });
  const existingNetwork = {
    vpcId: network.vpcId,
    publicSubnetIds: network.publicSubnetIds,
    privateSubnetIds: network.privateSubnetIds,
  };
  const shop = new WebFarm("shop", { nodes: { count: 2 }, existingNetwork, tags: { app: "shop" } });
  const admin = new WebFarm("admin", {
    nodes: { count: 1 },
    existingNetwork,
    loadBalancer: { allowedCidrs: ["203.0.113.0/24"] },
    tags: { app: "admin" },
  });
  return { shopUrl: shop.url, adminUrl: admin.url };
};
