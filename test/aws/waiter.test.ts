// The one poll loop both dynamic providers wait with, on a scripted clock: each new status logged
// once, done returned, a failure thrown at once, and the deadline's error made from the last poll.
import { pollUntil } from "../../components/aws/waiter";
import { scriptedClock } from "../support/clock";

const clock = scriptedClock;

const polls = (statuses: string[], failAt?: string) => {
  let i = 0;
  return async () => {
    const status = statuses[Math.min(i++, statuses.length - 1)];
    return {
      status,
      line: `now ${status}`,
      done: status === "done",
      failure: status === failAt ? new Error(`failed: ${status}`) : undefined,
    };
  };
};

test("logs each new status once and returns the observation that is done", async () => {
  const c = clock();
  const last = await pollUntil(c, 60000, 1000, polls(["a", "a", "b", "done"]), () => new Error("late"));
  expect(last.status).toBe("done");
  expect(c.lines).toEqual(["now a", "now b", "now done"]);
  expect(c.t).toBe(3000);
});

test("throws a failure as soon as a poll reports one, after logging it", async () => {
  const c = clock();
  await expect(pollUntil(c, 60000, 1000, polls(["a", "broken"], "broken"), () => new Error("late"))).rejects.toThrow(
    "failed: broken",
  );
  expect(c.lines).toEqual(["now a", "now broken"]);
});

test("past the deadline, throws what `late` makes of the last observation", async () => {
  const c = clock();
  await expect(pollUntil(c, 5000, 1000, polls(["a"]), (o) => new Error(`still ${o.status}`))).rejects.toThrow(
    "still a",
  );
  expect(c.t).toBe(5000);
});
