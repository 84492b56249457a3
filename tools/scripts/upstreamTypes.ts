// The resource types the disruption table reads, by their upstream names (disruptionTable.ts).

/**
 * Pulumi type -> the upstream resource and the CloudFormation type it corresponds to. This is the
 * bridge's token mapping (and AWS's naming), not a behaviour: every name is checked to exist in its
 * source when the table is generated.
 */
export const UPSTREAM: Record<string, { terraform?: string; cloudFormation?: string }> = {
  "aws:autoscaling/group:Group": {
    terraform: "aws_autoscaling_group",
    cloudFormation: "AWS::AutoScaling::AutoScalingGroup",
  },
  "aws:autoscaling/lifecycleHook:LifecycleHook": {
    terraform: "aws_autoscaling_lifecycle_hook",
    cloudFormation: "AWS::AutoScaling::LifecycleHook",
  },
  "aws:cloudwatch/dashboard:Dashboard": {
    terraform: "aws_cloudwatch_dashboard",
    cloudFormation: "AWS::CloudWatch::Dashboard",
  },
  "aws:cloudwatch/logGroup:LogGroup": { terraform: "aws_cloudwatch_log_group", cloudFormation: "AWS::Logs::LogGroup" },
  "aws:cloudwatch/metricAlarm:MetricAlarm": {
    terraform: "aws_cloudwatch_metric_alarm",
    cloudFormation: "AWS::CloudWatch::Alarm",
  },
  "aws:codedeploy/application:Application": {
    terraform: "aws_codedeploy_app",
    cloudFormation: "AWS::CodeDeploy::Application",
  },
  "aws:codedeploy/deploymentConfig:DeploymentConfig": {
    terraform: "aws_codedeploy_deployment_config",
    cloudFormation: "AWS::CodeDeploy::DeploymentConfig",
  },
  "aws:codedeploy/deploymentGroup:DeploymentGroup": {
    terraform: "aws_codedeploy_deployment_group",
    cloudFormation: "AWS::CodeDeploy::DeploymentGroup",
  },
  "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": { terraform: "aws_default_security_group" },
  "aws:ec2/eip:Eip": { terraform: "aws_eip", cloudFormation: "AWS::EC2::EIP" },
  "aws:ec2/instance:Instance": { terraform: "aws_instance", cloudFormation: "AWS::EC2::Instance" },
  "aws:ec2/internetGateway:InternetGateway": {
    terraform: "aws_internet_gateway",
    cloudFormation: "AWS::EC2::InternetGateway",
  },
  "aws:ec2/launchTemplate:LaunchTemplate": {
    terraform: "aws_launch_template",
    cloudFormation: "AWS::EC2::LaunchTemplate",
  },
  "aws:ec2/managedPrefixList:ManagedPrefixList": {
    terraform: "aws_ec2_managed_prefix_list",
    cloudFormation: "AWS::EC2::PrefixList",
  },
  "aws:ec2/natGateway:NatGateway": { terraform: "aws_nat_gateway", cloudFormation: "AWS::EC2::NatGateway" },
  "aws:ec2/route:Route": { terraform: "aws_route", cloudFormation: "AWS::EC2::Route" },
  "aws:ec2/routeTable:RouteTable": { terraform: "aws_route_table", cloudFormation: "AWS::EC2::RouteTable" },
  "aws:ec2/routeTableAssociation:RouteTableAssociation": {
    terraform: "aws_route_table_association",
    cloudFormation: "AWS::EC2::SubnetRouteTableAssociation",
  },
  "aws:ec2/securityGroup:SecurityGroup": { terraform: "aws_security_group", cloudFormation: "AWS::EC2::SecurityGroup" },
  "aws:ec2/subnet:Subnet": { terraform: "aws_subnet", cloudFormation: "AWS::EC2::Subnet" },
  "aws:ec2/vpc:Vpc": { terraform: "aws_vpc", cloudFormation: "AWS::EC2::VPC" },
  "aws:iam/instanceProfile:InstanceProfile": {
    terraform: "aws_iam_instance_profile",
    cloudFormation: "AWS::IAM::InstanceProfile",
  },
  "aws:iam/role:Role": { terraform: "aws_iam_role", cloudFormation: "AWS::IAM::Role" },
  "aws:iam/rolePolicy:RolePolicy": { terraform: "aws_iam_role_policy", cloudFormation: "AWS::IAM::RolePolicy" },
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": { terraform: "aws_iam_role_policy_attachment" },
  "aws:imagebuilder/component:Component": {
    terraform: "aws_imagebuilder_component",
    cloudFormation: "AWS::ImageBuilder::Component",
  },
  "aws:imagebuilder/distributionConfiguration:DistributionConfiguration": {
    terraform: "aws_imagebuilder_distribution_configuration",
    cloudFormation: "AWS::ImageBuilder::DistributionConfiguration",
  },
  "aws:imagebuilder/image:Image": { terraform: "aws_imagebuilder_image", cloudFormation: "AWS::ImageBuilder::Image" },
  "aws:imagebuilder/imageRecipe:ImageRecipe": {
    terraform: "aws_imagebuilder_image_recipe",
    cloudFormation: "AWS::ImageBuilder::ImageRecipe",
  },
  "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration": {
    terraform: "aws_imagebuilder_infrastructure_configuration",
    cloudFormation: "AWS::ImageBuilder::InfrastructureConfiguration",
  },
  "aws:lb/listener:Listener": { terraform: "aws_lb_listener", cloudFormation: "AWS::ElasticLoadBalancingV2::Listener" },
  "aws:lb/loadBalancer:LoadBalancer": {
    terraform: "aws_lb",
    cloudFormation: "AWS::ElasticLoadBalancingV2::LoadBalancer",
  },
  "aws:lb/targetGroup:TargetGroup": {
    terraform: "aws_lb_target_group",
    cloudFormation: "AWS::ElasticLoadBalancingV2::TargetGroup",
  },
  "aws:lb/targetGroupAttachment:TargetGroupAttachment": { terraform: "aws_lb_target_group_attachment" },
  "aws:rds/instance:Instance": { terraform: "aws_db_instance", cloudFormation: "AWS::RDS::DBInstance" },
  "aws:rds/subnetGroup:SubnetGroup": { terraform: "aws_db_subnet_group", cloudFormation: "AWS::RDS::DBSubnetGroup" },
  "aws:route53/record:Record": { terraform: "aws_route53_record", cloudFormation: "AWS::Route53::RecordSet" },
  "aws:route53/zone:Zone": { terraform: "aws_route53_zone", cloudFormation: "AWS::Route53::HostedZone" },
  "aws:s3/bucket:Bucket": { terraform: "aws_s3_bucket", cloudFormation: "AWS::S3::Bucket" },
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": {
    terraform: "aws_s3_bucket_lifecycle_configuration",
  },
  "aws:s3/bucketObjectv2:BucketObjectv2": { terraform: "aws_s3_object" },
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls": { terraform: "aws_s3_bucket_ownership_controls" },
  "aws:s3/bucketPolicy:BucketPolicy": { terraform: "aws_s3_bucket_policy", cloudFormation: "AWS::S3::BucketPolicy" },
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": { terraform: "aws_s3_bucket_public_access_block" },
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": {
    terraform: "aws_s3_bucket_server_side_encryption_configuration",
  },
  "aws:s3/bucketVersioning:BucketVersioning": { terraform: "aws_s3_bucket_versioning" },
  "aws:secretsmanager/secret:Secret": {
    terraform: "aws_secretsmanager_secret",
    cloudFormation: "AWS::SecretsManager::Secret",
  },
  "aws:secretsmanager/secretVersion:SecretVersion": { terraform: "aws_secretsmanager_secret_version" },
  "aws:ssm/parameter:Parameter": { terraform: "aws_ssm_parameter", cloudFormation: "AWS::SSM::Parameter" },
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {
    terraform: "aws_vpc_security_group_egress_rule",
    cloudFormation: "AWS::EC2::SecurityGroupEgress",
  },
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {
    terraform: "aws_vpc_security_group_ingress_rule",
    cloudFormation: "AWS::EC2::SecurityGroupIngress",
  },
};
