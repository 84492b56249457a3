// The farm from C#: the same component, through the SDK `pulumi package add` generates from the
// kit's schema (schema.json). Auto Scaling mode keeps changes without an outage here, where the
// TypeScript-only waits are off; releases start from the releaseCommand output (docs/languages.md).
using System.Collections.Generic;
using Pulumi;
using Pulumi.AspnetWebfarm;
using Pulumi.AspnetWebfarm.Inputs;

return await Deployment.RunAsync(() =>
{
    var config = new Config();
    var farm = new WebFarm("shop", new WebFarmArgs
    {
        Nodes = new NodesArgsArgs
        {
            Count = config.GetInt32("nodeCount") ?? 2,
            Mode = "autoscaling",
            MaxCount = 6,
        },
        // Giving sqlServer chooses SQL Server for the sessions.
        SqlServer = new SqlServerArgsArgs
        {
            Edition = "web",
            InstanceClass = "db.t3.medium",
        },
        App = new AppArgsArgs
        {
            Bucket = "shop-builds-111111111111",
            Key = "shop/1.4.2/site.zip",
            Version = "1.4.2",
            ValidatePath = "/validate.aspx",
        },
        Tags = new Dictionary<string, string> { ["app"] = "shop" },
    });

    return new Dictionary<string, object?>
    {
        ["url"] = farm.Url,
        ["dashboardUrl"] = farm.DashboardUrl,
        ["releaseCommand"] = farm.ReleaseCommand,
        ["webConfigFragment"] = farm.WebConfigFragment, // a secret
    };
});
