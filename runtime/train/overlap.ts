/**
 * Segmentation scores beside pixel accuracy, which a mostly-background image inflates (a network
 * that answers "background" everywhere scores 80% on MNIST masks). Foreground is every class but
 * 0; over all pixels of all samples (the micro average, as one confusion table):
 *   IoU  = TP / (TP + FP + FN)      (Jaccard index)
 *   Dice = 2 TP / (2 TP + FP + FN)  (F1 of the foreground)
 * Both are NaN when neither prediction nor label has any foreground.
 */
export interface Overlap {
  iou: number;
  dice: number;
}

export function foregroundOverlap(predictions: ArrayLike<number>, labels: ArrayLike<number>): Overlap {
  let tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < predictions.length; i++) {
    const p = predictions[i]! !== 0, l = labels[i]! !== 0;
    if (p && l) tp++;
    else if (p) fp++;
    else if (l) fn++;
  }
  return { iou: tp / (tp + fp + fn), dice: (2 * tp) / (2 * tp + fp + fn) };
}
