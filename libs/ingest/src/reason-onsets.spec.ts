import { ReasonOnsets } from './reason-onsets';

describe('ReasonOnsets', () => {
  it('tells a reason once when it starts firing, and again only after a quiet period', () => {
    const onsets = new ReasonOnsets(60_000);
    expect(onsets.observe({ late_event: 3, malformed_json: 0 }, 0)).toEqual(['late_event']);
    expect(onsets.observe({ late_event: 1, future_event: 1 }, 30_000)).toEqual(['future_event']);
    // Still firing: 59 s after its last occurrence, not after its first.
    expect(onsets.observe({ late_event: 1 }, 89_000)).toEqual([]);
    expect(onsets.observe({ future_event: 2, late_event: 1 }, 150_000)).toEqual(['future_event', 'late_event']);
    expect(onsets.observe({}, 500_000)).toEqual([]);
  });
});
