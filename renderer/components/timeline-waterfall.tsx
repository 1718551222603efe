// One call's timeline as a waterfall: a row per phase it went through, each bar starting where the phases before it
// ended and as wide as its share of the whole, with its time to the hundredth of a millisecond; the total last.
import type { InvocationView } from "../../main/contract.ts";
import { formatPreciseMs } from "../logic/format.ts";
import { waterfall } from "../logic/timeline.ts";

export function TimelineWaterfall({ call }: { call: InvocationView }) {
  const w = waterfall(call);
  return (
    <div className="waterfall" data-testid="timeline" role="table" aria-label="where the call's time went">
      {w.rows.map((r) => (
        <div key={r.phase} className="waterfall-row" role="row" data-testid={`timeline-${r.phase}`}>
          <span className="waterfall-label" role="rowheader">
            {r.label}
          </span>
          <span className="waterfall-track" role="cell">
            {/* Sizes go through the CSSOM (React's style prop), which the window's policy allows. */}
            <span
              className={`waterfall-bar phase-${r.phase}`}
              style={{ marginLeft: `${r.offsetPct}%`, width: `${r.widthPct}%` }}
            />
          </span>
          <span className="waterfall-ms mono" role="cell">
            {formatPreciseMs(r.ms)}
          </span>
        </div>
      ))}
      <div className="waterfall-row total" role="row" data-testid="timeline-total">
        <span className="waterfall-label" role="rowheader">
          Total
        </span>
        <span className="waterfall-track" role="cell">
          <span className="waterfall-bar phase-total" />
        </span>
        <span className="waterfall-ms mono" role="cell">
          {formatPreciseMs(w.totalMs)}
        </span>
      </div>
    </div>
  );
}
