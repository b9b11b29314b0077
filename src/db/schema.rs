//! One diesel schema for both engines. Only the SQL types that `DbConnection`
//! carries appear here (Integer, BigInt, SmallInt, Text, Bool, Timestamp).

diesel::table! {
    offices (id) {
        id -> Integer,
        code -> Text,
        name_zh -> Text,
        name_en -> Text,
        county_zh -> Text,
        county_en -> Text,
        active -> Bool,
        created_at -> Timestamp,
        alert_threshold -> SmallInt,
        address -> Text,
        phone -> Text,
    }
}

diesel::table! {
    counters (id) {
        id -> Integer,
        office_id -> Integer,
        code -> Text,
        name_zh -> Text,
        name_en -> Text,
        active -> Bool,
    }
}

diesel::table! {
    staff (id) {
        id -> Integer,
        office_id -> Integer,
        code -> Text,
        display_name -> Text,
        active -> Bool,
    }
}

diesel::table! {
    service_types (id) {
        id -> Integer,
        code -> Text,
        name_zh -> Text,
        name_en -> Text,
        sort_order -> Integer,
        active -> Bool,
    }
}

diesel::table! {
    form_versions (id) {
        id -> Integer,
        form_key -> Text,
        version_hash -> Text,
        title_zh -> Text,
        title_en -> Text,
        definition -> Text,
        first_loaded_at -> Timestamp,
        retired -> Bool,
    }
}

diesel::table! {
    devices (id) {
        id -> Integer,
        office_id -> Integer,
        counter_id -> Nullable<Integer>,
        label -> Text,
        token_hash -> Nullable<Text>,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    responses (id) {
        id -> BigInt,
        office_id -> Integer,
        channel -> Text,
        form_version_id -> Integer,
        submitted_at -> Timestamp,
        received_at -> Timestamp,
        counter_id -> Nullable<Integer>,
        staff_id -> Nullable<Integer>,
        service_type_id -> Nullable<Integer>,
        device_id -> Nullable<Integer>,
        idempotency_key -> Text,
    }
}

diesel::table! {
    answers (id) {
        id -> BigInt,
        response_id -> BigInt,
        item_key -> Text,
        score -> Nullable<SmallInt>,
        choice -> Nullable<Text>,
        text_value -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> Integer,
        username -> Text,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        office_id -> Nullable<Integer>,
        county_zh -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_user_id -> Nullable<Integer>,
        actor -> Text,
        action -> Text,
        office_id -> Nullable<Integer>,
        target -> Text,
        detail -> Text,
        client_addr -> Nullable<Text>,
    }
}

diesel::joinable!(counters -> offices (office_id));
diesel::joinable!(staff -> offices (office_id));
diesel::joinable!(devices -> offices (office_id));
diesel::joinable!(responses -> offices (office_id));
diesel::joinable!(responses -> form_versions (form_version_id));
diesel::joinable!(responses -> service_types (service_type_id));
diesel::joinable!(answers -> responses (response_id));
diesel::joinable!(users -> offices (office_id));

diesel::table! {
    sessions (id) {
        id -> Integer,
        token_hash -> Text,
        user_id -> Integer,
        csrf_token -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        client_addr -> Nullable<Text>,
    }
}

diesel::table! {
    login_attempts (id) {
        id -> BigInt,
        at -> Timestamp,
        username -> Text,
        client_addr -> Text,
        success -> Bool,
    }
}

diesel::table! {
    device_enrolments (id) {
        id -> Integer,
        office_id -> Integer,
        counter_id -> Integer,
        code_hash -> Text,
        label -> Text,
        created_by -> Nullable<Integer>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        device_id -> Nullable<Integer>,
    }
}

diesel::table! {
    survey_tokens (id) {
        id -> Integer,
        office_id -> Integer,
        form_key -> Text,
        token_hash -> Text,
        created_by -> Nullable<Integer>,
        created_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    alerts (id) {
        id -> Integer,
        office_id -> Integer,
        response_id -> BigInt,
        created_at -> Timestamp,
        lowest_score -> SmallInt,
        items -> Text,
        acknowledged_at -> Nullable<Timestamp>,
        acknowledged_by -> Nullable<Integer>,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    calendar_days (day) {
        day -> Date,
        is_holiday -> Bool,
        description -> Text,
        source -> Text,
        imported_at -> Timestamp,
    }
}

diesel::table! {
    case_categories (id) {
        id -> Integer,
        code -> Text,
        name_zh -> Text,
        name_en -> Text,
        sort_order -> Integer,
        active -> Bool,
    }
}

diesel::table! {
    case_deadline_rules (id) {
        id -> Integer,
        office_id -> Nullable<Integer>,
        kind -> Text,
        working_days -> SmallInt,
    }
}

diesel::table! {
    cases (id) {
        id -> BigInt,
        case_no -> Text,
        office_id -> Integer,
        channel -> Text,
        category_id -> Integer,
        subject -> Text,
        content -> Text,
        petitioner_name -> Nullable<Text>,
        petitioner_contact -> Nullable<Text>,
        language -> Text,
        confidential -> Bool,
        status -> Text,
        deadline_kind -> Text,
        received_on -> Date,
        due_on -> Date,
        due_assumed -> Bool,
        assigned_to -> Nullable<Integer>,
        first_reply_on -> Nullable<Date>,
        closed_on -> Nullable<Date>,
        lookup_secret_hash -> Nullable<Text>,
        published_reply -> Nullable<Text>,
        citizen_rating -> Nullable<SmallInt>,
        citizen_comment -> Nullable<Text>,
        idempotency_key -> Nullable<Text>,
        personal_purged_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    case_events (id) {
        id -> BigInt,
        case_id -> BigInt,
        at -> Timestamp,
        actor_user_id -> Nullable<Integer>,
        actor -> Text,
        kind -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        note -> Text,
        detail -> Text,
    }
}

diesel::table! {
    satisfaction_standards (id) {
        id -> Integer,
        roc_year -> Integer,
        scope_key -> Text,
        office_id -> Nullable<Integer>,
        county_zh -> Nullable<Text>,
        min_rate -> Double,
        set_by -> Text,
        set_at -> Timestamp,
    }
}

diesel::table! {
    improvement_measures (id) {
        id -> Integer,
        office_id -> Integer,
        roc_year -> Integer,
        subject_kind -> Text,
        subject_key -> Text,
        measure -> Text,
        responsible -> Text,
        updated_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    report_runs (id) {
        id -> Integer,
        roc_year -> Integer,
        scope -> Text,
        formats -> Text,
        status -> Text,
        progress -> Integer,
        step -> Text,
        error -> Nullable<Text>,
        output -> Nullable<Text>,
        requested_by -> Integer,
        requested_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    case_counters (office_id, roc_year) {
        office_id -> Integer,
        roc_year -> Integer,
        last_no -> Integer,
    }
}

diesel::table! {
    login_throttle (key) {
        key -> Text,
        failures -> Integer,
        next_allowed_at -> Timestamp,
        last_at -> Timestamp,
    }
}

diesel::table! {
    rate_counts (key, window_start) {
        key -> Text,
        window_start -> BigInt,
        hits -> BigInt,
    }
}

diesel::joinable!(case_events -> cases (case_id));
diesel::joinable!(cases -> case_categories (category_id));
diesel::joinable!(cases -> offices (office_id));
diesel::joinable!(improvement_measures -> offices (office_id));
diesel::joinable!(report_runs -> users (requested_by));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(alerts -> responses (response_id));
diesel::allow_tables_to_appear_in_same_query!(
    offices,
    counters,
    staff,
    service_types,
    form_versions,
    devices,
    responses,
    answers,
    users,
    audit_log,
    sessions,
    login_attempts,
    device_enrolments,
    survey_tokens,
    alerts,
    calendar_days,
    case_categories,
    case_deadline_rules,
    cases,
    case_events,
    satisfaction_standards,
    improvement_measures,
    report_runs,
    case_counters,
    login_throttle,
    rate_counts,
    tallies,
);

diesel::table! {
    tallies (id) {
        id -> Integer,
        office_id -> Integer,
        form_version_id -> Integer,
        roc_year -> Integer,
        quarter -> SmallInt,
        item_key -> Text,
        channel -> Text,
        n1 -> Integer,
        n2 -> Integer,
        n3 -> Integer,
        n4 -> Integer,
        n5 -> Integer,
        imported_at -> Timestamp,
    }
}

diesel::joinable!(tallies -> offices (office_id));
diesel::joinable!(tallies -> form_versions (form_version_id));
