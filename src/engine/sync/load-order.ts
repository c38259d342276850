/** A node of the foreign-key graph: a table and the tables it references. */
export interface OrderNode {
  id: string;
  /** Tables this one references (its parents); unknown ids are ignored. */
  references: readonly string[];
  /** Larger first among tables that are ready at the same time. */
  size: number;
}

export interface LoadOrder {
  /** Parents before children; members of a cycle together, largest first. */
  order: string[];
  /** Each cycle (strongly connected component of two or more tables, or a self-reference). */
  cycles: string[][];
}

/**
 * Foreign-key-aware load order: Tarjan's strongly connected components, then a topological
 * order of the components (parents first, largest first when several are ready). Pure.
 */
export function loadOrder(nodes: readonly OrderNode[]): LoadOrder {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const edges = new Map(nodes.map((node) => [node.id, [...new Set(node.references.filter((ref) => byId.has(ref)))]]));

  // Tarjan (iterative, so deep graphs cannot overflow the stack).
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  for (const start of nodes) {
    if (indexOf.has(start.id)) continue;
    const work: { id: string; next: number }[] = [{ id: start.id, next: 0 }];
    indexOf.set(start.id, index);
    low.set(start.id, index++);
    stack.push(start.id);
    onStack.add(start.id);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const targets = edges.get(frame.id)!;
      if (frame.next < targets.length) {
        const target = targets[frame.next++]!;
        if (!indexOf.has(target)) {
          indexOf.set(target, index);
          low.set(target, index++);
          stack.push(target);
          onStack.add(target);
          work.push({ id: target, next: 0 });
        } else if (onStack.has(target)) {
          low.set(frame.id, Math.min(low.get(frame.id)!, indexOf.get(target)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(frame.id)!));
      if (low.get(frame.id) === indexOf.get(frame.id)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.id);
        components.push(component);
      }
    }
  }

  const componentOf = new Map<string, number>();
  components.forEach((component, i) => component.forEach((id) => componentOf.set(id, i)));
  const size = (i: number) => components[i]!.reduce((sum, id) => sum + byId.get(id)!.size, 0);
  // Edges child → parent; a component is ready when all the components it references are placed.
  const pending = components.map((_, i) => {
    const parents = new Set<number>();
    for (const id of components[i]!) for (const ref of edges.get(id)!) if (componentOf.get(ref) !== i) parents.add(componentOf.get(ref)!);
    return parents;
  });
  const placed = new Set<number>();
  const order: string[] = [];
  while (placed.size < components.length) {
    const ready = components.map((_, i) => i).filter((i) => !placed.has(i) && [...pending[i]!].every((p) => placed.has(p)));
    ready.sort((a, b) => size(b) - size(a) || components[a]![0]!.localeCompare(components[b]![0]!));
    const next = ready[0]!;
    placed.add(next);
    order.push(...[...components[next]!].sort((a, b) => byId.get(b)!.size - byId.get(a)!.size || a.localeCompare(b)));
  }
  const cycles = components.filter(
    (component) => component.length > 1 || edges.get(component[0]!)!.includes(component[0]!),
  ).map((component) => [...component].sort());
  return { order, cycles };
}
