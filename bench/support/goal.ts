// One line per goal of issue 18, the same shape in every benchmark so `npm run bench` can gather them.
export function goalLine(label: string, value: number, goal: { max?: number; min?: number }, unit = 'x', digits = 2): string {
  const met = (goal.max === undefined || value <= goal.max) && (goal.min === undefined || value >= goal.min);
  const bound = goal.max !== undefined ? `<= ${goal.max}` : `>= ${goal.min}`;
  return `goal ${label}: ${value.toFixed(digits)}${unit} (goal ${bound}${unit}): ${met ? 'goal met' : 'GOAL MISSED'}`;
}
