"""The "Progress" page: the saved sessions of one profile, per stretch.

Sessions on a calendar (adherence against the dosage, once a day unless set
otherwise), the range reached over time, the most common corrections, a
table of every session, and the clinician's report to download. The switch
that turns the history off, and deleting a profile's history, live here too.
Everything comes from :mod:`posecheck.history_stats`, the same numbers as
``posecheck history`` and ``posecheck report``.
"""

from __future__ import annotations

import csv
import io
import logging
from datetime import date, datetime

import streamlit as st

from posecheck import history_plots, history_store
from posecheck import history_stats as stats
from posecheck.errors import PosecheckError
from posecheck.session_record import SessionRecord

logger = logging.getLogger(__name__)

NO_PROFILE_LABEL = "Sessions without a profile"


def _history_switch() -> None:
    if history_store.switched_off_by_env():
        st.caption(f"Saving history is turned off on this computer "
                   f"({history_store.HISTORY_SWITCH_ENV}=off).")
        return
    on = history_store.history_enabled()
    keep = st.toggle("Keep a history of my sessions", value=on, key="progress_history_on",
                     help="Only numbers are kept (dates, holds, repetitions, angles, "
                          "corrections), on this computer; never video or pictures.")
    if keep != on:
        history_store.set_history_enabled(keep)
        st.toast("History is on." if keep else
                 "History is off: new sessions will not be saved.")


def _csv_bytes(records: list[SessionRecord]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=stats.CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(stats.csv_rows(records))
    return buf.getvalue().encode("utf-8")


def _stretch_panel(sp: stats.StretchProgress) -> None:
    calendar_col, range_col = st.columns([2, 3])
    with calendar_col:
        st.markdown(f"**Adherence:** {sp.adherence.text()}.")
        st.pyplot(history_plots.adherence_calendar(sp.adherence), width="stretch")
    with range_col:
        st.markdown("**Range reached over time**")
        if not sp.trends:
            st.caption("Not measured: the joints were never seen long enough.")
        main, others = stats.split_trends(sp.trends)
        for t in main:
            st.pyplot(history_plots.range_figure(t), width="stretch")
            st.caption(f"{t.label}: {t.change_text()}.")
        if others:
            with st.expander(f"Other checks: form and safety details ({len(others)})"):
                for t in others:
                    st.pyplot(history_plots.range_figure(t), width="stretch")
    st.markdown("**Most common corrections**")
    if sp.corrections:
        st.dataframe(
            [{"correction": c.label, "times": c.episodes,
              "sessions": f"{c.sessions} of {len(sp.sessions)}",
              "time in all": stats.format_duration(c.total_s), "cue": c.cue}
             for c in sp.corrections],
            hide_index=True, width="stretch")
    else:
        st.caption("No corrections were needed.")
    for note in sp.notes:
        st.info(note, icon=":material/info:")


def _delete_box(store_path: str, profile: str | None, count: int) -> None:
    who = f"profile '{profile}'" if profile else "sessions without a profile"
    with st.expander("Delete this history"):
        sure = st.checkbox(f"Yes, delete all {count} saved session(s) of {who}. "
                           "This cannot be undone.", key="progress_delete_sure")
        if st.button("Delete", disabled=not sure, key="progress_delete"):
            with history_store.HistoryStore(store_path) as store:
                removed = store.delete_profile(profile)
            st.session_state.pop("progress_delete_sure", None)
            st.success(f"Deleted {removed} session(s) of {who}.")
            st.rerun()


def render(today: date | None = None) -> None:
    """Draw the page."""
    st.title("Progress")
    _history_switch()
    path = history_store.database_path()
    if not path.is_file():
        st.info("No sessions saved yet. Sessions on the Live check page and recordings on the "
                "Analyze page are saved here when they end.")
        return
    try:
        with history_store.HistoryStore(path) as store:
            profiles = store.profiles()
            if not profiles:
                st.info("No sessions saved yet.")
                return
            cols = st.columns([2, 2, 1])
            profile = cols[0].selectbox(
                "Profile", profiles, key="progress_profile",
                format_func=lambda p: p if p else NO_PROFILE_LABEL)
            every = store.sessions(profile)
            first_day = min(r.started_at.date() for r in every) if every else None
            since = cols[1].date_input("From", value=first_day, key="progress_since")
            per_day = int(cols[2].number_input("Sessions a day", min_value=1, max_value=10,
                                               value=1, step=1, key="progress_per_day",
                                               help="How often the physiotherapist asked "
                                                    "for each stretch"))
            since_day = since if isinstance(since, date) else None
            records = store.sessions(profile, since=since_day)
    except PosecheckError as exc:
        st.error(str(exc))
        return
    now = datetime.now().astimezone()
    today = today or now.date()
    if not records:
        st.info("No sessions in this period.")
        _delete_box(str(path), profile, len(every))
        return
    st.caption(f"{len(records)} session(s) from {since_day or first_day} to {today}.")
    progress = stats.progress_by_stretch(records, today=today, since=since_day,
                                         per_day=per_day)
    names = {sp.stretch_id: sp for sp in progress}
    chosen = st.selectbox("Stretch", list(names), key="progress_stretch",
                          format_func=lambda sid: f"{names[sid].stretch_name} "
                                                  f"({len(names[sid].sessions)} session(s))")
    st.subheader(names[chosen].stretch_name)
    _stretch_panel(names[chosen])

    from posecheck.routines import routine_names

    names_by_id = routine_names(profile)  # read once: the table and the report use it
    st.subheader("Every session")
    st.dataframe(stats.table_rows(records, names_by_id), hide_index=True, width="stretch")

    from posecheck.clinician_report import render_report

    label = profile or "no-profile"
    report = render_report(records, profile=profile or NO_PROFILE_LABEL, today=today,
                           generated_at=now, since=since_day, per_day=per_day,
                           routine_names=names_by_id)
    c1, c2 = st.columns(2)
    c1.download_button("Download the report for the physiotherapist (HTML, printable)",
                       data=report.encode("utf-8"),
                       file_name=f"posecheck-report-{label}-{today.isoformat()}.html",
                       mime="text/html", key="progress_report")
    c2.download_button("Download the sessions (CSV)", data=_csv_bytes(records),
                       file_name=f"posecheck-history-{label}-{today.isoformat()}.csv",
                       mime="text/csv", key="progress_csv")
    _delete_box(str(path), profile, len(every))
