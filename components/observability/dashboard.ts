// The farm's CloudWatch dashboard (pure): the picture an operator opens first. Requests and
// errors at the load balancer, response time, healthy nodes per AZ, ASP.NET's own counters from the
// nodes, and the session store's widgets (each store supplies its own).
import { COUNTERS, counterMetric } from "./windows/cloudWatch";

export interface DashboardValues {
  region: string;
  farmName: string;
  /** The load balancer's and target group's ARN suffixes (their metric dimensions). */
  loadBalancer: string;
  targetGroup: string;
  /** The session store's widgets (SessionStore.widgets). */
  sessionWidgets: SessionWidget[];
  /** The nodes' own metrics' namespace. */
  namespace: string;
  /** With a group that scales: its name, for a widget of its nodes (desired, in service, pending, terminating). */
  autoScalingGroup?: string;
  /** With a FarmImage's parameter announced (nodes/webNodes.ts newImages): its rule, and the rollout's state machine. */
  newImages?: { ruleName: string; stateMachineArn?: string };
}

/** One line of a widget: namespace, metric name, dimension names and values, then its options. */
export type Metric = (string | Record<string, unknown>)[];

/** The metric lines of one resource: `metric(name, options)` of `namespace` where `dimension` is `value`. */
export function metricsOf(namespace: string, dimension: string, value: string) {
  return (metricName: string, options: Record<string, unknown>): Metric => [
    namespace,
    metricName,
    dimension,
    value,
    options,
  ];
}

/** The dashboard's widget of the group's nodes (its group metrics, dimension AutoScalingGroupName). */
export function groupNodesMetrics(groupName: string): Metric[] {
  const metric = (name: string, stat: string, label: string): Metric => [
    "AWS/AutoScaling",
    name,
    "AutoScalingGroupName",
    groupName,
    { stat, label },
  ];
  return [
    metric("GroupDesiredCapacity", "Maximum", "desired"),
    metric("GroupInServiceInstances", "Minimum", "in service"),
    metric("GroupPendingInstances", "Maximum", "pending (launching, launch hook)"),
    metric("GroupTerminatingInstances", "Maximum", "terminating (draining, termination hooks)"),
    metric("GroupMaxSize", "Maximum", "maximum"),
  ];
}

/**
 * The dashboard's widget of new farm images: the writes the rule matched (AWS/Events, dimension
 * RuleName: the default bus), its deliveries that failed (a topic whose policy refuses EventBridge),
 * and with the automatic rollout its executions (AWS/States, dimension StateMachineArn).
 */
export function newImagesMetrics(ruleName: string, stateMachineArn?: string): Metric[] {
  const events = metricsOf("AWS/Events", "RuleName", ruleName);
  const rollouts =
    stateMachineArn === undefined ? undefined : metricsOf("AWS/States", "StateMachineArn", stateMachineArn);
  return [
    events("TriggeredRules", { stat: "Sum", label: "new images written" }),
    events("FailedInvocations", { stat: "Sum", label: "announcements or rollout starts that failed" }),
    ...(rollouts
      ? [
          rollouts("ExecutionsStarted", { stat: "Sum", label: "rollouts started" }),
          rollouts("ExecutionsSucceeded", { stat: "Sum", label: "rollouts that started a refresh" }),
          rollouts("ExecutionsFailed", { stat: "Sum", label: "rollouts failed" }),
        ]
      : []),
  ];
}

/** A widget a part adds to the dashboard: its title and metrics (the dashboard places it). */
export interface SessionWidget {
  title: string;
  metrics: Metric[];
}

function widget(title: string, metrics: Metric[], x: number, y: number, extra: Record<string, unknown> = {}) {
  return {
    type: "metric",
    x,
    y,
    width: 12,
    height: 6,
    properties: { title, metrics, view: "timeSeries", stacked: false, period: 60, ...extra },
  };
}

export function dashboardBody(v: DashboardValues): string {
  const lb = ["LoadBalancer", v.loadBalancer];
  const elb = "AWS/ApplicationELB";
  const webCounters = COUNTERS["web-node"]["ASP.NET"].measurement;
  const widgets = [
    widget(
      "Requests and 5xx (load balancer)",
      [
        [elb, "RequestCount", ...lb, { stat: "Sum", label: "requests" }],
        [elb, "HTTPCode_Target_5XX_Count", ...lb, { stat: "Sum", label: "5xx from nodes" }],
        [elb, "HTTPCode_ELB_5XX_Count", ...lb, { stat: "Sum", label: "5xx from the load balancer" }],
      ],
      0,
      0,
      { region: v.region },
    ),
    widget(
      "Response time (s)",
      [
        [elb, "TargetResponseTime", ...lb, { stat: "p50", label: "p50" }],
        [elb, "TargetResponseTime", ...lb, { stat: "p99", label: "p99" }],
      ],
      12,
      0,
      { region: v.region },
    ),
    widget(
      "Healthy nodes per AZ",
      [
        [
          {
            expression: `SEARCH('{${elb},AvailabilityZone,LoadBalancer,TargetGroup} MetricName="HealthyHostCount" LoadBalancer="${v.loadBalancer}" TargetGroup="${v.targetGroup}"', 'Minimum', 60)`,
            label: "healthy",
            id: "healthy",
          },
        ],
        [
          elb,
          "UnHealthyHostCount",
          "TargetGroup",
          v.targetGroup,
          ...lb,
          { stat: "Maximum", label: "unhealthy (all AZs)" },
        ],
      ],
      0,
      6,
      { region: v.region },
    ),
    widget(
      "ASP.NET on the web nodes (farm-wide)",
      [
        ...webCounters.map((c) => [
          v.namespace,
          counterMetric("ASP.NET", c),
          { stat: c === "Request Execution Time" ? "Average" : "Maximum", label: c },
        ]),
        [v.namespace, counterMetric("ASP.NET Applications", "Requests/Sec"), { stat: "Sum", label: "Requests/Sec" }],
      ],
      12,
      6,
      { region: v.region },
    ),
    // The session store's own, below, then the scaling group's nodes: two to a row.
    ...[
      ...v.sessionWidgets,
      ...(v.autoScalingGroup
        ? [{ title: "Web nodes (Auto Scaling group)", metrics: groupNodesMetrics(v.autoScalingGroup) }]
        : []),
      ...(v.newImages
        ? [{ title: "New farm images", metrics: newImagesMetrics(v.newImages.ruleName, v.newImages.stateMachineArn) }]
        : []),
    ].map((w, i) => widget(w.title, w.metrics, (i % 2) * 12, 12 + 6 * Math.floor(i / 2), { region: v.region })),
  ];
  return JSON.stringify({ start: "-PT3H", widgets });
}
