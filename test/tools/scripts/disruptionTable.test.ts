// The table generator's reading of the provider's Go schema: what it takes for "replaces" and how
// names meet Pulumi's. Small Go texts written for the test (the shapes of SDKv2 and Framework schemas).
import { meet, pulumiName } from "../../../tools/scripts/disruptionTable";
import { customizeDiffForceNew, goAttributes } from "../../../tools/scripts/goSchema";

const SDK_SCHEMA = `
func resourceThing() *schema.Resource {
	return &schema.Resource{
		SchemaFunc: func() map[string]*schema.Schema {
			return map[string]*schema.Schema{
				names.AttrCIDRBlock: {
					Type:     schema.TypeString,
					ForceNew: true,
				},
				"root_block_device": {
					Type: schema.TypeList,
					Elem: &schema.Resource{
						Schema: map[string]*schema.Schema{
							names.AttrEncrypted: {Type: schema.TypeBool, ForceNew: true},
							"volume_size":       {Type: schema.TypeInt},
						},
					},
				},
				names.AttrTags: tftags.TagsSchema(),
				"description": {
					Type:        schema.TypeString,
					Description: "a text that says ForceNew: true { is not code",
				},
			}
		},
		CustomizeDiff: customdiff.ForceNewIf(names.AttrInstanceType, isNewArchitecture),
	}
}`;

const FRAMEWORK_SCHEMA = `
func (r *ruleResource) Schema(ctx context.Context, request resource.SchemaRequest, response *resource.SchemaResponse) {
	response.Schema = schema.Schema{
		Attributes: map[string]schema.Attribute{
			"security_group_id": schema.StringAttribute{
				Required: true,
				PlanModifiers: []planmodifier.String{
					stringplanmodifier.RequiresReplace(),
				},
			},
			"from_port": schema.Int64Attribute{
				Optional: true,
			},
			"owner": schema.StringAttribute{
				PlanModifiers: []planmodifier.String{
					stringplanmodifier.RequiresReplaceIfConfigured(),
				},
			},
		},
	}
}`;

const replacing = (text: string) =>
  Object.fromEntries(goAttributes(text).map((a) => [a.path.join("."), a.replaces ?? "no"]));

describe("reading the provider's schema", () => {
  test("SDKv2: ForceNew on an attribute and on a nested one; a call-valued attribute is listed", () => {
    expect(replacing(SDK_SCHEMA)).toEqual({
      CIDRBlock: "always",
      root_block_device: "no",
      "root_block_device.Encrypted": "always",
      "root_block_device.volume_size": "no",
      Tags: "no",
      // Control: "ForceNew: true" inside a description string is not taken for code.
      description: "no",
    });
    expect(customizeDiffForceNew(SDK_SCHEMA)).toEqual(["InstanceType"]);
  });

  test("Framework: RequiresReplace plan modifiers", () => {
    expect(replacing(FRAMEWORK_SCHEMA)).toEqual({ security_group_id: "always", from_port: "no", owner: "always" });
  });

  test("Terraform and CloudFormation names meet Pulumi's, a list pluralized; others stay unmapped", () => {
    const names = new Map(["cidrBlock", "vpcSecurityGroupIds", "instanceType", "ingress"].map((p) => [meet(p), p]));
    expect(pulumiName("cidr_block", names)).toBe("cidrBlock");
    expect(pulumiName("CIDRBlock", names)).toBe("cidrBlock");
    expect(pulumiName("InstanceType", names)).toBe("instanceType");
    expect(pulumiName("vpc_security_group_id", names)).toBe("vpcSecurityGroupIds");
    expect(pulumiName("alarm_name", names)).toBeUndefined();
  });
});
