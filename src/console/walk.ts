/**
 * The script walk of one call: the answers given so far, node by node, from the campaign's
 * decision tree. Kept in the session between the form posts that make it, and handed to the
 * desk as `answers` when the call ends.
 */
import type { ScriptAnswer, ScriptNode, ScriptOutcome, ScriptTree } from '../campaigns/schema-desk.js';
import { InvitoError } from '../core/errors.js';

export interface Walk {
  readonly taskId: string;
  /** Answers in the order given: node id, answer id. */
  readonly steps: readonly { readonly node: string; readonly answer: string }[];
}

/** Where the walk stands: the question to ask now, or the outcome it reached. */
export interface WalkState {
  /** The node to ask now; null once an answer led to an outcome. */
  readonly nodeId: string | null;
  readonly node: ScriptNode | null;
  /** The questions answered so far, with the answers' labels. */
  readonly trail: readonly { readonly nodeId: string; readonly question: string; readonly answer: ScriptAnswer }[];
  /** The outcome the last answer led to, if it led to one. */
  readonly outcome: ScriptOutcome | null;
  /** Whether an answer flagged the call for a health worker. */
  readonly triage: boolean;
  /** Node id → answer id, as the desk stores them. */
  readonly answers: Readonly<Record<string, string>>;
}

export const newWalk = (taskId: string): Walk => ({ taskId, steps: [] });

/**
 * Replays the walk through the tree. Steps that no longer fit it (a campaign edited mid-call)
 * are dropped from the first that does not: the operator then sees that question again.
 */
export function walkState(tree: ScriptTree, walk: Walk): WalkState {
  const trail: { nodeId: string; question: string; answer: ScriptAnswer }[] = [];
  let nodeId: string | null = tree.start;
  let outcome: ScriptOutcome | null = null;
  for (const step of walk.steps) {
    const node: ScriptNode | undefined = nodeId === null ? undefined : tree.nodes[nodeId];
    const chosen: ScriptAnswer | undefined = node?.answers.find((a) => a.id === step.answer);
    if (nodeId === null || step.node !== nodeId || !node || !chosen) break;
    trail.push({ nodeId, question: node.question, answer: chosen });
    if (chosen.outcome !== undefined) {
      outcome = chosen.outcome;
      nodeId = null;
    } else {
      nodeId = chosen.next ?? null;
    }
  }
  return {
    nodeId,
    node: nodeId === null ? null : (tree.nodes[nodeId] ?? null),
    trail,
    outcome,
    triage: trail.some((t) => t.answer.triage),
    answers: Object.fromEntries(trail.map((t) => [t.nodeId, t.answer.id])),
  };
}

/**
 * The walk with one more answer. Answering a question already answered (the operator went
 * back, or the citizen changed their mind) replaces that answer and drops what followed.
 * Throws `USAGE` for a node that is neither current nor answered, or an answer it does not have.
 */
export function answer(tree: ScriptTree, walk: Walk, nodeId: string, answerId: string): Walk {
  const state = walkState(tree, walk);
  const at = state.trail.findIndex((t) => t.nodeId === nodeId);
  const kept = at >= 0 ? walk.steps.slice(0, at) : walk.steps.slice(0, state.trail.length);
  if (at < 0 && state.nodeId !== nodeId) throw new InvitoError('USAGE', `script question "${nodeId}" is not the one being asked`);
  const node = tree.nodes[nodeId];
  if (!node?.answers.some((a) => a.id === answerId)) throw new InvitoError('USAGE', `script question "${nodeId}" has no answer "${answerId}"`);
  return { taskId: walk.taskId, steps: [...kept, { node: nodeId, answer: answerId }] };
}

/** The walk without its last answer. */
export const back = (walk: Walk): Walk => ({ taskId: walk.taskId, steps: walk.steps.slice(0, -1) });

/** The walk stored in a session, if it is this task's. */
export function parseWalk(text: string | null, taskId: string): Walk {
  if (text !== null) {
    try {
      const w = JSON.parse(text) as Walk;
      if (w.taskId === taskId && Array.isArray(w.steps)) return w;
    } catch {
      // a walk that does not parse starts again
    }
  }
  return newWalk(taskId);
}
