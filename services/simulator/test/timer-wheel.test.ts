import { TimerWheel } from '../src/timer-wheel.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('TimerWheel', () => {
  it('runs each callback once, never before its time, in deadline order', async () => {
    // Prepare
    const wheel = new TimerWheel(5);
    const start = Date.now();
    const fired: { name: string; late: number }[] = [];
    const plan = [
      ['c', 60],
      ['a', 10],
      ['b', 30],
    ] as const;

    // Act
    for (const [name, ms] of plan) wheel.at(start + ms, () => fired.push({ name, late: Date.now() - (start + ms) }));
    while (wheel.size > 0) await sleep(5);

    // Assess
    expect(fired.map((f) => f.name)).toEqual(['a', 'b', 'c']);
    for (const f of fired) expect(f.late).toBeGreaterThanOrEqual(0);
  });

  it('never runs a cancelled callback, and stops its interval once nothing waits', async () => {
    // Prepare
    const wheel = new TimerWheel(5);
    let ran = 0;
    const e = wheel.at(Date.now() + 10, () => ran++);

    // Act
    wheel.cancel(e);
    wheel.cancel(e);
    await sleep(30);

    // Assess: nothing ran, nothing waits (an interval left running would keep jest open too)
    expect(ran).toBe(0);
    expect(wheel.size).toBe(0);
  });

  it('runs what a callback schedules for a time already due, in the same or the next tick', async () => {
    // Prepare
    const wheel = new TimerWheel(5);
    const order: string[] = [];

    // Act: the first callback schedules one in the past and one just ahead
    wheel.at(Date.now() + 5, () => {
      order.push('first');
      wheel.at(Date.now() - 100, () => order.push('past'));
      wheel.at(Date.now() + 5, () => order.push('next'));
    });
    for (let i = 0; i < 40 && wheel.size + (order.length < 3 ? 1 : 0) > 0; i++) await sleep(5);

    // Assess
    expect(order).toEqual(['first', 'past', 'next']);
  });
});
