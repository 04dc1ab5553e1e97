/** Orders jobs so that each comes after the jobs it depends on (ties keep the given order). */
export function orderByDependencies<T extends { id: string; dependsOn: readonly string[] }>(jobs: readonly T[]): T[] {
  const inSet = new Map(jobs.map((j) => [j.id, j]));
  const placed = new Set<string>();
  const visiting = new Set<string>();
  const out: T[] = [];
  const visit = (job: T) => {
    if (placed.has(job.id) || visiting.has(job.id)) return;
    visiting.add(job.id);
    for (const dep of job.dependsOn) {
      const d = inSet.get(dep);
      if (d) visit(d);
    }
    visiting.delete(job.id);
    placed.add(job.id);
    out.push(job);
  };
  for (const j of jobs) visit(j);
  return out;
}
