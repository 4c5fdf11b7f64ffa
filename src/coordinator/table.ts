/** `sluice status` as a person reads it: one row per stage, columns aligned. */
import type { StageStatus, StatusSnapshot } from './status.ts';

const HEADERS = ['STAGE', 'INSTANCES', 'STATE', 'LAG', 'IN/S', 'OUT/S', 'ERRORS', 'DLQ'] as const;
/** Columns after the first are numbers or short words: right-aligned, except STATE. */
const LEFT = new Set([0, 2]);

function rate(value: number | null): string {
  if (value === null) return '-';
  return value >= 100 ? String(Math.round(value)) : value.toFixed(1);
}

function row(stage: StageStatus): string[] {
  const local = stage.local;
  const instances = local !== undefined ? `${local.running}/${local.instances}` : stage.group !== null ? String(stage.members.length) : '-';
  const state = [local?.state, stage.groupState ?? undefined].filter((s) => s !== undefined).join(' ') || '-';
  return [
    stage.stage,
    instances,
    state,
    stage.lag === null ? '-' : String(stage.lag),
    rate(stage.inputRate),
    rate(stage.outputRate),
    local !== undefined ? String(local.crashes) : '-',
    stage.deadLettered === null ? '-' : String(stage.deadLettered),
  ];
}

/** One line per store and partition still restoring from its changelog (what a coordinator knows of its instances). */
export function restoringLines(snapshot: StatusSnapshot): string[] {
  return snapshot.stages.flatMap((stage) =>
    (stage.local?.restores ?? [])
      .filter((r) => r.remaining > 0)
      .map((r) => `restoring ${stage.stage} ${r.store} partition ${r.partition}: ${r.restored} restored, ${r.remaining} to go (${rate(r.perSecond)}/s)`),
  );
}

export function statusTable(snapshot: StatusSnapshot): string {
  const rows = [[...HEADERS], ...snapshot.stages.map(row)];
  const widths = HEADERS.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => r.map((cell, i) => (LEFT.has(i) ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd());
  return `topology ${snapshot.topology} (${snapshot.transport}) at ${snapshot.at}\n${[...lines, ...restoringLines(snapshot)].join('\n')}\n`;
}
