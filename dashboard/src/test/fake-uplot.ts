/** A uPlot stand-in for jsdom (no canvas): keeps options, data and series visibility for assertions. */
import type uPlot from "uplot";

export const instances: FakeUPlot[] = [];

export default class FakeUPlot {
  static rangeNum(min: number, max: number): [number, number] {
    return [min, max * 1.1];
  }

  readonly over: HTMLDivElement;
  readonly root: HTMLDivElement;
  data: uPlot.AlignedData;
  shown: boolean[];
  destroyed = false;
  size: { width: number; height: number };

  constructor(
    readonly options: uPlot.Options,
    data: uPlot.AlignedData,
    target: HTMLElement,
  ) {
    this.data = data;
    this.size = { width: options.width, height: options.height };
    this.shown = options.series.map(() => true);
    this.root = document.createElement("div");
    this.root.className = "uplot";
    this.over = document.createElement("div");
    this.over.className = "u-over";
    this.root.appendChild(this.over);
    target.appendChild(this.root);
    instances.push(this);
  }

  setData(data: uPlot.AlignedData) {
    this.data = data;
  }

  setSize(size: { width: number; height: number }) {
    this.size = size;
  }

  setSeries(index: number, options: { show?: boolean }) {
    if (options.show !== undefined) this.shown[index] = options.show;
  }

  destroy() {
    this.destroyed = true;
    this.root.remove();
  }
}
