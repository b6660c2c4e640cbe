import { errorMessage } from '../../errors.ts';
import type { AgentDefinition } from '../agent-definition.ts';
import { checkCondition, checkTemplate } from '../templates.ts';
import type { YamlFile } from '../yaml-file.ts';
import type { FlowAction, FlowDefinition } from './flow-definition.ts';

/** Checks that a flow only names states, tools and agents that exist, and that its texts parse. */
export function checkFlow(agent: AgentDefinition, flow: FlowDefinition, file: YamlFile): void {
  const at = (path: PropertyKey[], problem: string) => file.error(['flow', ...path], problem);
  const template = (path: PropertyKey[], text: string | undefined) => {
    if (text === undefined) return;
    try {
      checkTemplate(text);
    } catch (err) {
      throw at(path, errorMessage(err));
    }
  };
  const state = (path: PropertyKey[], name: string | undefined) => {
    if (name !== undefined && !Object.hasOwn(flow.states, name)) {
      throw at(path, `no state "${name}" in this flow; states: ${Object.keys(flow.states).join(', ')}`);
    }
  };
  const action = (path: PropertyKey[], step: FlowAction) => {
    state([...path, 'goto'], step.goto);
    state([...path, 'revisit'], step.revisit);
    state([...path, 'return_to'], step.return_to);
    if (step.revisit !== undefined && !flow.states[step.revisit]?.ask)
      throw at(
        [...path, 'revisit'],
        `state "${step.revisit}" asks nothing: only a question can be revisited`,
      );
    if ((step.revisit === undefined) !== (step.return_to === undefined))
      throw at(path, 'revisit and return_to go together: the question to ask again, and where to go then');
    template([...path, 'say'], step.say);
    if (step.handoff !== undefined && !agent.handoffs.includes(step.handoff)) {
      throw at([...path, 'handoff'], `"${step.handoff}" is not among this agent's handoffs`);
    }
    if (step.if !== undefined) {
      try {
        checkCondition(step.if);
      } catch (err) {
        throw at([...path, 'if'], `condition does not parse: ${errorMessage(err)}`);
      }
    }
  };

  state(['start'], flow.start);
  for (const [name, step] of Object.entries(flow.states)) {
    const path = ['states', name];
    template([...path, 'say'], step.say);
    if (step.tool !== undefined && !agent.tools.includes(step.tool)) {
      throw at([...path, 'tool'], `tool "${step.tool}" is not among this agent's tools`);
    }
    for (const [arg, value] of Object.entries(step.args)) {
      if (typeof value === 'string') template([...path, 'args', arg], value);
    }
    if (step.ask) {
      template([...path, 'ask', 'prompt'], step.ask.prompt);
      template([...path, 'ask', 'reprompt'], step.ask.reprompt);
      state([...path, 'ask', 'on_fail'], step.ask.on_fail);
      if (step.ask.type === 'choice' && !step.ask.options)
        throw at([...path, 'ask'], 'a choice needs options');
      if (!step.next)
        throw at([...path, 'ask'], 'a question needs next (where the flow goes with the answer)');
    }
    step.next?.forEach((branch, i) => action([...path, 'next', i], branch));
    if (!step.ask && !step.next && !step.tool) {
      throw at(path, 'a state without a question or a tool needs next (where the call goes after it)');
    }
  }
  flow.intents.forEach((intent, i) => action(['intents', i], intent));
}
