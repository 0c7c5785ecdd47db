//! The report's charts as PNG images: panels of grouped bars or lines laid
//! out two to a row under a title, drawn with plotters on a bitmap and the
//! font the bot carries (`assets/fonts/propdesk-sans-sc.otf`, a subset of
//! Noto Sans CJK SC made by `scripts/font-subset`), so Chinese labels render
//! on any machine and nothing is looked up at run time.
//!
//! Layout is done here in pixels (axes, ticks, bars, legends), plotters only
//! draws: what a panel shows is plain data ([`Panel`]), built by the report
//! from its figures with labels in the reader's language.

use std::sync::LazyLock;

use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};
use anyhow::{anyhow, Context, Result};
use plotters::prelude::*;

/// The font, embedded in the binary.
pub static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/propdesk-sans-sc.otf");
/// The font, parsed once; None only if the embedded file were broken (a
/// unit test reads it).
static FACE: LazyLock<Option<FontRef<'static>>> =
    LazyLock::new(|| FontRef::try_from_slice(FONT_BYTES).ok());

fn face() -> Result<&'static FontRef<'static>> {
    FACE.as_ref()
        .ok_or_else(|| anyhow!("the embedded chart font cannot be read"))
}

/// Whether the embedded font has a glyph for every character of `text`
/// (white space aside).
#[must_use]
pub fn font_covers(text: &str) -> bool {
    missing_glyphs(text).is_empty()
}

/// The characters of `text` the embedded font has no glyph for.
#[must_use]
pub fn missing_glyphs(text: &str) -> Vec<char> {
    let Some(font) = FACE.as_ref() else {
        return text.chars().collect();
    };
    let mut missing: Vec<char> = text
        .chars()
        .filter(|c| !c.is_whitespace() && font.glyph_id(*c).0 == 0)
        .collect();
    missing.sort_unstable();
    missing.dedup();
    missing
}

/// Width of one panel, in pixels.
pub const PANEL_W: u32 = 640;
/// Height of one panel.
pub const PANEL_H: u32 = 400;
/// The title band above the panels.
pub const HEADER_H: u32 = 64;
/// Panels per row.
pub const COLUMNS: u32 = 2;

/// One named series of values (a bar colour, a line).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    /// One value per category (bars) or per x position (lines); None: no
    /// value there.
    pub values: Vec<Option<f64>>,
}

/// What a panel draws.
#[derive(Debug, Clone, PartialEq)]
pub enum Plot {
    /// Grouped bars: one group per category, one bar per series. `percent`
    /// fixes the axis at 0–100 % and labels bars with `%`.
    Bars {
        categories: Vec<String>,
        series: Vec<Series>,
        percent: bool,
    },
    /// Lines over `x` labels, the axis from `min` to `max`.
    Lines {
        x: Vec<String>,
        series: Vec<Series>,
        min: f64,
        max: f64,
    },
}

/// One panel: a title and its plot.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    pub title: String,
    pub plot: Plot,
}

impl Panel {
    /// Every text the panel draws (for the glyph check).
    #[must_use]
    pub fn labels(&self) -> Vec<&str> {
        let mut out = vec![self.title.as_str()];
        let (names, series) = match &self.plot {
            Plot::Bars {
                categories, series, ..
            } => (categories, series),
            Plot::Lines { x, series, .. } => (x, series),
        };
        out.extend(names.iter().map(String::as_str));
        out.extend(series.iter().map(|s| s.name.as_str()));
        out
    }
}

/// The size of the image `n` panels make.
#[must_use]
pub fn image_size(n: usize) -> (u32, u32) {
    let n = u32::try_from(n.max(1)).unwrap_or(u32::MAX);
    let rows = n.div_ceil(COLUMNS);
    (PANEL_W * COLUMNS, HEADER_H + rows * PANEL_H)
}

const PALETTE: [RGBColor; 6] = [
    RGBColor(0x2f, 0x6f, 0xb3),
    RGBColor(0xe0, 0x7b, 0x24),
    RGBColor(0x3a, 0x9a, 0x4a),
    RGBColor(0xc8, 0x3e, 0x3e),
    RGBColor(0x84, 0x5e, 0xb0),
    RGBColor(0x8c, 0x6d, 0x46),
];
const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
const GREY: RGBColor = RGBColor(0x70, 0x70, 0x70);
const GRID: RGBColor = RGBColor(0xe4, 0xe4, 0xe4);

type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;

/// Draws `panels` under `title` (and a smaller `subtitle`) and returns the
/// PNG. Refuses an empty list: a report with nothing to show sends no chart.
pub fn render(title: &str, subtitle: &str, panels: &[Panel]) -> Result<Vec<u8>> {
    if panels.is_empty() {
        return Err(anyhow!("no panel to draw"));
    }
    face()?;
    let (w, h) = image_size(panels.len());
    let mut pixels = vec![0u8; usize::try_from(w * h * 3)?];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        text(&root, title, (24, 12), 28, INK, HPos::Left)?;
        text(&root, subtitle, (24, 44), 16, GREY, HPos::Left)?;
        let body = root.margin(HEADER_H, 0, 0, 0);
        let rows = panels.len().div_ceil(2);
        let cells = body.split_evenly((rows, usize::try_from(COLUMNS)?));
        for (panel, cell) in panels.iter().zip(cells.iter()) {
            draw_panel(cell, panel)?;
        }
        root.present().map_err(draw_error)?;
    }
    encode_png(&pixels, w, h)
}

fn draw_error<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("drawing a chart: {e:?}")
}

/// Where a text stands relative to its anchor.
#[derive(Debug, Clone, Copy)]
enum HPos {
    Left,
    Center,
    Right,
}

/// Text whose top-left (top-centre, top-right) corner is at `at`, `size`
/// pixels from ascender to descender, drawn glyph by glyph with ab_glyph
/// (each pixel blended by its coverage).
fn text(
    area: &Area<'_>,
    s: &str,
    at: (i32, i32),
    size: u32,
    colour: RGBColor,
    h: HPos,
) -> Result<()> {
    if s.is_empty() {
        return Ok(());
    }
    let font = face()?;
    #[allow(clippy::cast_precision_loss)]
    let scale = PxScale::from(size as f32);
    let scaled = font.as_scaled(scale);
    #[allow(clippy::cast_precision_loss)]
    let width = text_width(s, size) as f32;
    #[allow(clippy::cast_precision_loss)]
    let (x, y) = (at.0 as f32, at.1 as f32);
    let mut caret = match h {
        HPos::Left => x,
        HPos::Center => x - width / 2.0,
        HPos::Right => x - width,
    };
    let baseline = y + scaled.ascent();
    let mut failed = None;
    for c in s.chars() {
        let id = scaled.glyph_id(c);
        let glyph = id.with_scale_and_position(scale, point(caret, baseline));
        if let Some(outline) = font.outline_glyph(glyph) {
            let bounds = outline.px_bounds();
            #[allow(clippy::cast_possible_truncation)]
            let (bx, by) = (bounds.min.x as i32, bounds.min.y as i32);
            outline.draw(|gx, gy, coverage| {
                let p = (
                    bx + i32::try_from(gx).unwrap_or(0),
                    by + i32::try_from(gy).unwrap_or(0),
                );
                if let Err(e) = area.draw_pixel(p, &colour.mix(f64::from(coverage))) {
                    failed = Some(format!("{e:?}"));
                }
            });
        }
        caret += scaled.h_advance(id);
    }
    match failed {
        Some(e) => Err(anyhow!("drawing text: {e}")),
        None => Ok(()),
    }
}

/// How wide `s` is at `size`, in pixels.
fn text_width(s: &str, size: u32) -> u32 {
    let Ok(font) = face() else { return 0 };
    #[allow(clippy::cast_precision_loss)]
    let scaled = font.as_scaled(PxScale::from(size as f32));
    let w: f32 = s
        .chars()
        .map(|c| scaled.h_advance(scaled.glyph_id(c)))
        .sum();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let w = w.ceil().max(0.0) as u32;
    w
}

/// `s` cut (with `…`) to at most `max` pixels wide.
fn fit(s: &str, size: u32, max: u32) -> String {
    if text_width(s, size) <= max {
        return s.to_string();
    }
    let mut out: Vec<char> = s.chars().collect();
    while !out.is_empty() {
        out.pop();
        let cut: String = out.iter().collect::<String>() + "…";
        if text_width(&cut, size) <= max {
            return cut;
        }
    }
    String::new()
}

/// A round step for about five grid lines up to `max`.
fn nice_step(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let raw = max / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    step.max(1.0)
}

fn number(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// The plot area of a panel, in the cell's pixels.
struct Frame {
    left: i32,
    top: i32,
    right: i32,
    bottom: i32,
}

impl Frame {
    fn width(&self) -> i32 {
        self.right - self.left
    }
    fn height(&self) -> i32 {
        self.bottom - self.top
    }
    /// The pixel row of `v` on an axis from `min` to `max`.
    fn y(&self, v: f64, min: f64, max: f64) -> i32 {
        let span = (max - min).max(f64::EPSILON);
        #[allow(clippy::cast_possible_truncation)]
        let offset = ((v - min) / span * f64::from(self.height())).round() as i32;
        self.bottom - offset
    }
}

fn draw_panel(cell: &Area<'_>, panel: &Panel) -> Result<()> {
    let (w, h) = cell.dim_in_pixel();
    let (w, h) = (i32::try_from(w)?, i32::try_from(h)?);
    let title = fit(&panel.title, 20, u32::try_from(w - 40)?);
    text(cell, &title, (20, 12), 20, INK, HPos::Left)?;
    let series = match &panel.plot {
        Plot::Bars { series, .. } | Plot::Lines { series, .. } => series,
    };
    // The legend: a row of colour keys under the title.
    let mut x = 20;
    if series.len() > 1 {
        for (i, s) in series.iter().enumerate() {
            let colour = PALETTE[i % PALETTE.len()];
            cell.draw(&Rectangle::new([(x, 42), (x + 12, 54)], colour.filled()))
                .map_err(draw_error)?;
            let name = fit(&s.name, 15, 150);
            text(cell, &name, (x + 17, 40), 15, INK, HPos::Left)?;
            x += 16 + i32::try_from(text_width(&name, 15))? + 14;
        }
    }
    // Room above the plot for the value over the highest bar, clear of the
    // legend.
    let frame = Frame {
        left: 62,
        top: 84,
        right: w - 20,
        bottom: h - 52,
    };
    match &panel.plot {
        Plot::Bars {
            categories,
            series,
            percent,
        } => draw_bars(cell, &frame, categories, series, *percent),
        Plot::Lines {
            x,
            series,
            min,
            max,
        } => draw_lines(cell, &frame, x, series, *min, *max),
    }
}

/// Grid lines and their labels from `min` to `max` by `step`.
fn draw_axis(cell: &Area<'_>, f: &Frame, min: f64, max: f64, step: f64, unit: &str) -> Result<()> {
    let mut v = min;
    while v <= max + 1e-9 {
        let y = f.y(v, min, max);
        cell.draw(&PathElement::new([(f.left, y), (f.right, y)], GRID))
            .map_err(draw_error)?;
        text(
            cell,
            &format!("{}{unit}", number(v)),
            (f.left - 8, y - 8),
            14,
            GREY,
            HPos::Right,
        )?;
        v += step;
    }
    cell.draw(&PathElement::new(
        [(f.left, f.bottom), (f.right, f.bottom)],
        GREY,
    ))
    .map_err(draw_error)
}

/// Labels under the x axis, centred on each slot, cut to fit.
fn draw_x_labels(
    cell: &Area<'_>,
    f: &Frame,
    labels: &[String],
    centre: impl Fn(usize) -> i32,
    slot: i32,
) -> Result<()> {
    let max = u32::try_from((slot - 4).max(8))?;
    for (i, label) in labels.iter().enumerate() {
        let label = fit(label, 14, max);
        text(
            cell,
            &label,
            (centre(i), f.bottom + 8),
            14,
            INK,
            HPos::Center,
        )?;
    }
    Ok(())
}

fn draw_bars(
    cell: &Area<'_>,
    f: &Frame,
    categories: &[String],
    series: &[Series],
    percent: bool,
) -> Result<()> {
    let highest = series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .fold(0.0_f64, |a, b| a.max(*b));
    let (max, step, unit) = if percent {
        (100.0, 20.0, "%")
    } else {
        let step = nice_step(highest);
        ((highest / step).ceil().max(1.0) * step, step, "")
    };
    draw_axis(cell, f, 0.0, max, step, unit)?;
    let n = i32::try_from(categories.len().max(1))?;
    let k = i32::try_from(series.len().max(1))?;
    let group = f.width() / n;
    let bar = ((group * 8 / 10) / k).max(2);
    let start = |i: i32| f.left + group * i + (group - bar * k) / 2;
    for (si, s) in series.iter().enumerate() {
        let colour = PALETTE[si % PALETTE.len()];
        let si = i32::try_from(si)?;
        for (ci, v) in s.values.iter().enumerate() {
            let Some(v) = v else { continue };
            let x0 = start(i32::try_from(ci)?) + si * bar;
            let y = f.y(*v, 0.0, max);
            cell.draw(&Rectangle::new(
                [(x0, y), (x0 + bar - 1, f.bottom)],
                colour.filled(),
            ))
            .map_err(draw_error)?;
            let label = format!("{}{}", number(*v), if percent { "%" } else { "" });
            if u32::try_from(bar)? + 12 >= text_width(&label, 13) {
                text(cell, &label, (x0 + bar / 2, y - 17), 13, INK, HPos::Center)?;
            }
        }
    }
    draw_x_labels(
        cell,
        f,
        categories,
        |i| f.left + group * i32::try_from(i).unwrap_or(0) + group / 2,
        group,
    )
}

fn draw_lines(
    cell: &Area<'_>,
    f: &Frame,
    xs: &[String],
    series: &[Series],
    min: f64,
    max: f64,
) -> Result<()> {
    let step = if max - min <= 5.0 {
        1.0
    } else {
        nice_step(max - min)
    };
    draw_axis(cell, f, min, max, step, "")?;
    let n = i32::try_from(xs.len().max(1))?;
    let slot = f.width() / n;
    let x_of = |i: usize| f.left + slot * i32::try_from(i).unwrap_or(0) + slot / 2;
    for (si, s) in series.iter().enumerate() {
        let colour = PALETTE[si % PALETTE.len()];
        let points: Vec<(i32, i32)> = s
            .values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (x_of(i), f.y(v, min, max))))
            .collect();
        if points.len() > 1 {
            cell.draw(&PathElement::new(points.clone(), colour.stroke_width(3)))
                .map_err(draw_error)?;
        }
        for (i, v) in s.values.iter().enumerate() {
            let Some(v) = v else { continue };
            let p = (x_of(i), f.y(*v, min, max));
            cell.draw(&Circle::new(p, 5, colour.filled()))
                .map_err(draw_error)?;
            if series.len() == 1 {
                text(
                    cell,
                    &format!("{v:.2}"),
                    (p.0, p.1 - 24),
                    14,
                    INK,
                    HPos::Center,
                )?;
            }
        }
    }
    draw_x_labels(cell, f, xs, x_of, slot)
}

/// The RGB pixels as a PNG file.
fn encode_png(pixels: &[u8], w: u32, h: u32) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Best);
        let mut writer = encoder.write_header().context("writing a PNG header")?;
        writer
            .write_image_data(pixels)
            .context("writing PNG pixels")?;
    }
    Ok(out)
}

/// The width and height a PNG file says it has (its IHDR chunk).
#[must_use]
pub fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.len() < 24 || &bytes[..8] != SIGNATURE || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let word = |i: usize| Some(u32::from_be_bytes(bytes.get(i..i + 4)?.try_into().ok()?));
    Some((word(16)?, word(20)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Panel> {
        vec![
            Panel {
                title: "工单：按类型和楼栋".into(),
                plot: Plot::Bars {
                    categories: vec!["1号楼".into(), "2号楼".into(), "3号楼".into()],
                    series: vec![
                        Series {
                            name: "投诉".into(),
                            values: vec![Some(3.0), Some(1.0), None],
                        },
                        Series {
                            name: "报修".into(),
                            values: vec![Some(5.0), Some(2.0), Some(7.0)],
                        },
                    ],
                    percent: false,
                },
            },
            Panel {
                title: "满意度趋势".into(),
                plot: Plot::Lines {
                    x: vec!["2026Q2".into(), "2026Q3".into(), "2026Q4".into()],
                    series: vec![Series {
                        name: "平均".into(),
                        values: vec![Some(3.8), None, Some(4.25)],
                    }],
                    min: 1.0,
                    max: 5.0,
                },
            },
            Panel {
                title: "按时率".into(),
                plot: Plot::Bars {
                    categories: vec!["首次响应".into(), "解决".into()],
                    series: vec![Series {
                        name: "%".into(),
                        values: vec![Some(75.0), Some(50.0)],
                    }],
                    percent: true,
                },
            },
        ]
    }

    #[test]
    fn a_chart_is_a_png_of_the_size_its_panels_make() {
        let png = render("2026年11月 物业月报", "1 – 30 Nov", &sample()).unwrap();
        assert_eq!(png_size(&png), Some(image_size(3)));
        assert_eq!(image_size(3), (1280, 64 + 2 * 400));
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
        let _ = std::fs::write(dir.join("chart-sample.png"), &png);
    }

    #[test]
    fn nothing_to_draw_is_refused() {
        assert!(render("t", "s", &[]).is_err());
    }

    #[test]
    fn the_font_has_chinese_and_latin_glyphs_and_knows_what_it_lacks() {
        assert!(font_covers("工单 Tickets 2026Q4 满意度 %"));
        assert_eq!(missing_glyphs("한"), vec!['한']);
    }

    #[test]
    fn steps_are_round() {
        assert!((nice_step(7.0) - 2.0).abs() < 1e-9);
        assert!((nice_step(43.0) - 10.0).abs() < 1e-9);
        assert!((nice_step(0.0) - 1.0).abs() < 1e-9);
        assert!((nice_step(3.0) - 1.0).abs() < 1e-9);
    }
}
